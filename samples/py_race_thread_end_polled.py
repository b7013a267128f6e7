# py_race_thread_end_polled.py - waiting for a worker by polling is_alive(): correct.
#
# A progress display: main starts a worker that computes a report and
# stores it in a shared object, then, instead of join(), polls
# `while worker.is_alive(): time.sleep(0.01)` (printing a spinner in a real
# program), and reads the report once the worker is gone.  Thread.is_alive()
# saying no means the worker's code has run to its end: what it wrote comes
# before what main reads next, exactly as after a join.  Nothing here is a
# bug: nothing to report.
#
# concwatch-expect: clean

import threading
import time


class Report:
    def __init__(self):
        self.lines = None
        self.total = 0


report = Report()


def compute():
    lines = ["item %d" % i for i in range(1000)]
    report.total = sum(range(1000))
    report.lines = lines


worker = threading.Thread(target=compute)
worker.start()
polls = 0
while worker.is_alive():
    polls += 1
    time.sleep(0.01)
print(len(report.lines), report.total)

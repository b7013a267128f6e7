# py_queue_lost_sentinel.py - a worker pool shut down with one sentinel too
# few: one worker waits forever on an empty queue.
#
# The pool of py_queue_workers.py: main puts 40 jobs on a queue.Queue and four
# workers get() them.  To stop them it must put one None per worker, but it
# loops over the wrong count (len(threads) - 1, "one of them is main") and
# puts three.  Three workers get a sentinel and return; the fourth blocks in
# get() on the empty queue forever, and main waits forever in join() for it.
#
# What the tool sees: get() waits in Condition.wait() on a fresh lock that the
# worker took itself and a put() would release.  That is a wait for work that
# never comes (a lost notification, like py_cond_lost_wakeup.py), counted as
# one deadlock, not a lock taken twice by mistake.
#
# Natively the program hangs: never run it without concwatch.  Under concwatch
# the hang must be reported (one deadlock) and the program ended (exit 66).
# Correct twin: py_queue_workers.py.
#
# concwatch-expect: deadlock=1
# concwatch-expect-text: py_queue_lost_sentinel\.py:@line(get)\b
# concwatch-expect-text: waits to join thread T\d+ \(Thread\.join\)

import queue
import threading

WORKERS = 4
JOBS = 40


def worker(jobs, results):
    while True:
        job = jobs.get()  # @get
        if job is None:  # the sentinel: no more work
            return
        results.put(job * job)


def main():
    jobs = queue.Queue()
    results = queue.Queue()
    threads = [threading.Thread(target=worker, args=(jobs, results)) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for n in range(JOBS):
        jobs.put(n)
    for _ in range(len(threads) - 1):  # BUG: one sentinel per worker is len(threads)
        jobs.put(None)
    for t in threads:
        t.join()
    print("results:", results.qsize())


if __name__ == "__main__":
    main()

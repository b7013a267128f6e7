# py_tracemalloc_threads.py - a threaded job measured with tracemalloc: correct.
#
# A program profiles the memory of its worker threads with the standard
# library's tracemalloc: tracemalloc.start(), four workers each build their
# own list of Record objects and hand it back through a queue.Queue, then
# main takes a snapshot and prints the top allocation site.  While tracing,
# every object the interpreter makes takes tracemalloc's internal lock (a
# lock of the runtime, in C), inside the allocation itself.  Nothing here is
# a bug: a detector must not hang the program (looking at the Python stack
# from inside that lock makes an object, which takes the lock again), nor
# report anything.
#
# concwatch-expect: clean

import queue
import threading
import tracemalloc

tracemalloc.start()


class Record:
    def __init__(self, n):
        self.n = n
        self.label = "record %d" % n


def worker(first, out):
    records = [Record(n) for n in range(first, first + 2000)]
    out.put(records)


results = queue.Queue()
workers = [threading.Thread(target=worker, args=(i * 2000, results)) for i in range(4)]
for w in workers:
    w.start()
for w in workers:
    w.join()
total = sum(len(results.get()) for _ in workers)
top = tracemalloc.take_snapshot().statistics("lineno")[0]
tracemalloc.stop()
print(total, "records;", "top allocation site found" if top.size > 0 else "nothing traced")

# py_race_thread_local.py - per-thread counters in a threading.local: correct.
#
# `stats = threading.local()` is one object shared by every thread, but each
# thread sees attributes of its own on it: four threads each count into
# `stats.count` (which starts from nothing in each thread) and hand their
# total to main through their own slot of a list.  The attribute has the same
# name in every thread, yet no two threads ever touch the same variable.
# Clean.
#
# concwatch-expect: clean

import sys
import threading

stats = threading.local()


def worker(totals, i):
    stats.count = 0
    for _ in range(1000):
        stats.count += 1
    totals[i] = stats.count


def main():
    totals = [0] * 4
    threads = [threading.Thread(target=worker, args=(totals, i)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("totals:", totals)
    return 0 if totals == [1000] * 4 else 1


if __name__ == "__main__":
    sys.exit(main())

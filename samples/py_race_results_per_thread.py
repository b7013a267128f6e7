# py_race_results_per_thread.py - each thread writes its own slot of a shared
# list, main reads them after join: correct.
#
# The usual way to collect results without a lock: main makes
# `results = [None] * 4`, and worker i sums its share of the numbers into
# `results[i]` (reading and writing its own slot as it goes) and into its
# own key of a shared dict, `by_name[name]`.  Different indexes and keys are
# different variables: no two threads touch the same one.  Main reads them
# all only after joining every worker, and join orders each worker's writes
# before main's reads.  Clean.
#
# concwatch-expect: clean

import sys
import threading

WORKERS = 4


def worker(results, by_name, i):
    results[i] = 0
    for n in range(i, 10000, WORKERS):
        results[i] += n
    by_name["worker-%d" % i] = results[i]


def main():
    results = [None] * WORKERS
    by_name = {}
    threads = [threading.Thread(target=worker, args=(results, by_name, i)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(results)
    print("total:", total, "from", sorted(by_name))
    return 0 if total == sum(range(10000)) and len(by_name) == WORKERS else 1


if __name__ == "__main__":
    sys.exit(main())

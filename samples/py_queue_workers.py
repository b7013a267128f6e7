# py_queue_workers.py - a worker pool fed by a queue.Queue, shut down with
# sentinels: correct.
#
# The standard-library way to share work: main puts 40 jobs on a queue.Queue,
# four workers get() them, square them and put the results on a second
# queue.  To stop, main puts one None per worker (a sentinel: a worker that
# gets it returns) and joins them.  Then it checks that every job came back.
#
# A queue.Queue is a deque under one Lock with three Conditions on it
# (not_empty, not_full, all_tasks_done): workers that find it empty wait in
# Condition.wait() until a put() notifies them.  Correct code: clean.
#
# concwatch-expect: clean

import queue
import sys
import threading

WORKERS = 4
JOBS = 40


def worker(jobs, results):
    while True:
        job = jobs.get()
        if job is None:  # the sentinel: no more work
            jobs.task_done()
            return
        results.put((job, job * job))
        jobs.task_done()


def main():
    jobs = queue.Queue()
    results = queue.Queue()
    threads = [threading.Thread(target=worker, args=(jobs, results)) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for n in range(JOBS):
        jobs.put(n)
    jobs.join()  # every job done (waits on all_tasks_done)
    for _ in threads:
        jobs.put(None)
    for t in threads:
        t.join()
    squares = dict(results.get() for _ in range(JOBS))
    print("results:", len(squares))
    return 0 if squares == {n: n * n for n in range(JOBS)} and results.empty() else 1


if __name__ == "__main__":
    sys.exit(main())

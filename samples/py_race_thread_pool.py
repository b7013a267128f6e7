# py_race_thread_pool.py - jobs filled in by main and handed to a
# ThreadPoolExecutor, results read through their futures: correct.
#
# Main makes Job objects, sets their fields and submit()s each to a pool of
# four workers; a worker reads the job's fields and writes its `result`;
# main reads the results after future.result().  submit() hands the work
# over through the pool's queue.SimpleQueue (written in C: a get() that
# finds an item waiting takes no lock at all) and result() waits on the
# future's Condition: both order the accesses, in every run, whichever
# worker takes which job.  Clean.
#
# concwatch-expect: clean

import concurrent.futures
import sys


class Job:
    def __init__(self, n):
        self.n = n
        self.factor = 0
        self.result = None


def run(job):
    job.result = job.n * job.factor
    return job


def main():
    jobs = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = []
        for n in range(100):
            job = Job(n)
            job.factor = 3
            jobs.append(job)
            futures.append(pool.submit(run, job))
        done = [f.result() for f in futures]
        total = sum(job.result for job in done)
    print("total:", total)
    return 0 if total == 3 * sum(range(100)) and all(j.result is not None for j in jobs) else 1


if __name__ == "__main__":
    sys.exit(main())

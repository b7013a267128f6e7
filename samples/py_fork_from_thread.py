# py_fork_from_thread.py - a worker thread forks a child while holding a
# lock; the child starts and joins threads of its own: correct.
#
# A job runner.  Its worker thread takes the jobs lock, snapshots the queue
# and forks a child right there (under the lock, so the child's copy of the
# queue is consistent), then lets go of the lock and waits for the child.
# In the child the copy of the lock is released by the same `with` block,
# then the child runs the jobs in two threads of its own, which log (the
# logging module, configured in the parent) and update the count under the
# jobs lock; the child joins them and exits.  The parent logs under the jobs
# lock too.  No thread ever holds one of these locks while waiting for
# another in a different order: nothing here can deadlock.
#
# What the tool sees is not simple.  os.fork() takes locks for the fork
# itself (CPython's import lock up to 3.12, logging's lock through
# os.register_at_fork) and, in the child, threading and logging make new
# locks in place of the ones that were held, leaving the old ones taken
# forever; threading also takes the worker's new thread-state lock under
# its own new _active_limbo_lock, and the child's threads join each other.
# None of that is a lock-order problem.
#
# Twin of: py_fork_holding_lock.py (the child takes the lock it never released).
#
# concwatch-expect: clean

import logging
import os
import sys
import threading
import warnings

warnings.simplefilter("ignore", DeprecationWarning)   # 3.12+: "fork() in a multi-threaded process"
logging.basicConfig(level=logging.INFO, format="%(processName)s %(threadName)s %(message)s",
                    stream=sys.stdout)
log = logging.getLogger("jobs")

jobs_lock = threading.Lock()
jobs = list(range(10))
done = 0


def run_jobs(mine):
    global done
    for job in mine:
        with jobs_lock:
            log.info("job %d", job)
            done += 1


def child():
    threads = [threading.Thread(target=run_jobs, args=(jobs[i::2],)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with jobs_lock:
        return 0 if done == len(jobs) else 1


def worker(status):
    with jobs_lock:
        log.info("forking with %d jobs", len(jobs))
        pid = os.fork()
    if pid == 0:
        os._exit(child())
    _, code = os.waitpid(pid, 0)
    status.append(os.waitstatus_to_exitcode(code))


def main():
    status = []
    w = threading.Thread(target=worker, args=(status,))
    w.start()
    w.join()
    with jobs_lock:
        log.info("child exited %s", status)
    return 0 if status == [0] else 1


if __name__ == "__main__":
    sys.exit(main())

# py_fork_holding_lock.py - a child forked while a lock is held takes that
# lock again: the child hangs.
#
# The job runner of py_fork_from_thread.py, with the classic fork bug: the
# worker thread forks while it holds the jobs lock and, in the child, goes
# straight to running the jobs, which take the jobs lock, without leaving
# the `with` block that holds it.  The child's copy of the lock is taken
# (fork copies memory, the lock's state included) and only the child itself
# could release it: its first job waits forever, and the parent waits
# forever for the child.
#
# Natively the program hangs: never run it without concwatch.  Under
# concwatch the child's hang must be reported as a thread waiting for a lock
# it holds itself, at the line of the job's acquire and the line where it
# took the lock (before the fork), and the child ended (exit 66); the parent
# then sees its child fail and ends too.
#
# Correct twin: py_fork_from_thread.py.
#
# concwatch-expect: self-deadlock=1
# concwatch-expect-text: py_fork_holding_lock\.py:@line(again)\b
# concwatch-expect-text: py_fork_holding_lock\.py:@line(held)\b

import os
import sys
import threading
import warnings

warnings.simplefilter("ignore", DeprecationWarning)   # 3.12+: "fork() in a multi-threaded process"

jobs_lock = threading.Lock()
jobs = list(range(10))
done = 0


def run_jobs():
    global done
    for job in jobs:
        with jobs_lock:  # @again
            done += 1
    return 0


def worker(status):
    with jobs_lock:  # @held
        pid = os.fork()
        if pid == 0:
            os._exit(run_jobs())   # still inside the `with`: the child holds jobs_lock
    _, code = os.waitpid(pid, 0)
    status.append(os.waitstatus_to_exitcode(code))


def main():
    status = []
    w = threading.Thread(target=worker, args=(status,))
    w.start()
    w.join()
    print("child exited", status)
    return 0 if status == [0] else 1


if __name__ == "__main__":
    sys.exit(main())

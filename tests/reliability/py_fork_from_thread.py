# py_fork_from_thread.py - os.fork() from a worker thread; in the child a new
# thread joins the (stopped) main thread: correct.
#
# The shape of CPython's test_threading test_3_join_in_forked_from_thread.
# A worker forks.  In the child the worker is the only thread left; it
# starts a thread that joins the main thread (stopped in the child: the join
# returns at once), joins that thread, and returns: the child's last thread
# ends, and the child exits 0.  The parent's worker waits for the child and
# checks its status.  The tool's own threads in the child must not keep the
# child alive (the parent would wait forever).
#
# Expected under concwatch: the child ends (its status is 0), so does the run,
# and nothing is found (exit status 0).
# and stderr says: child: joined the stopped main thread
# and stderr says: parent: child exited with status 0

import os
import sys
import threading

main_thread = threading.current_thread()
failed = []


def joining():
    main_thread.join()   # the main thread does not run in the child: returns at once


def worker():
    pid = os.fork()
    if pid != 0:
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        print("parent: child exited with status %d" % code, file=sys.stderr, flush=True)
        if code != 0:
            failed.append(code)
        return
    t = threading.Thread(target=joining)
    t.start()
    t.join()
    print("child: joined the stopped main thread", file=sys.stderr, flush=True)
    # Returning ends the child's last thread: the child exits 0.


w = threading.Thread(target=worker)
w.start()
w.join()
sys.exit(1 if failed else 0)

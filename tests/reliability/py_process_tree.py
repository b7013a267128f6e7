# py_process_tree.py - one lock-order inversion in each process of a tree.
#
# Each process takes two Locks in both orders (ABBA in one thread: a
# potential deadlock), called from a function of its own:
#   abba_fork        a multiprocessing child, start method fork
#   abba_spawn       a multiprocessing child, start method spawn
#   abba_forkserver  a multiprocessing child, start method forkserver
#   abba_pool        a task of a multiprocessing Pool worker
#   abba_child       a subprocess (python3 this.py child) ...
#   abba_grandchild  ... and the subprocess it starts in turn
#   abba_late        a subprocess still running when the main program
#                    exits (it waits LATE_DELAY seconds first, then finds)
# Expected under concwatch: one lock-order-inversion finding (the same in
# every process) that names all 7 processes by pid and command line, and
# nothing else.
import multiprocessing as mp
import os
import subprocess
import sys
import threading
import time

LATE_DELAY = float(os.environ.get("LATE_DELAY", "1.0"))


def inversion():
    # In a thread of its own, started the same way in every process: the
    # seven processes report the same finding, which must name them all.
    def both_orders():
        a, b = threading.Lock(), threading.Lock()
        with a:
            with b:
                pass
        with b:
            with a:
                pass
    t = threading.Thread(target=both_orders)
    t.start()
    t.join()


def abba_fork():
    inversion()


def abba_spawn():
    inversion()


def abba_forkserver():
    inversion()


def abba_pool(_):
    inversion()
    return os.getpid()


def abba_child():
    inversion()


def abba_grandchild():
    inversion()


def abba_late():
    time.sleep(LATE_DELAY)
    inversion()


def run(method, target):
    p = mp.get_context(method).Process(target=target)
    p.start()
    p.join()
    assert p.exitcode == 0, (method, p.exitcode)


def main():
    run("fork", abba_fork)
    run("spawn", abba_spawn)
    run("forkserver", abba_forkserver)
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(abba_pool, [1])
    subprocess.run([sys.executable, __file__, "child"], check=True)
    # Not waited for: it outlives the main program.
    subprocess.Popen([sys.executable, __file__, "late"], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print("main: done", file=sys.stderr, flush=True)


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else "main"
    if role == "child":
        abba_child()
        subprocess.run([sys.executable, __file__, "grandchild"], check=True)
    elif role == "grandchild":
        abba_grandchild()
    elif role == "late":
        abba_late()
    else:
        main()

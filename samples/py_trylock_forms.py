# py_trylock_forms.py - every way Python spells "try the lock, do not wait",
# on the reverse side of a lock pair: cannot deadlock.
#
# Eight pairs of locks (shelves of a warehouse, each with its own lock).  The
# loader moves a crate from the left shelf to the right one: it locks left,
# then right, waiting for each.  The picker moves a crate back: it locks
# right, then only *tries* left, and when left is busy it lets go of right
# and starts over.  Each pair's picker spells the try differently:
#
#   acquire(False)          acquire(0)              acquire(blocking=False)
#   acquire(timeout=0)      acquire(True, 0)        acquire(False, -1)
#   a Condition's acquire(False)                    an RLock's acquire(blocking=False)
#
# A try never waits, so the picker can never be stuck holding right: no
# cycle can close and the program cannot deadlock.  (Loader and picker run
# one after the other, so here every try succeeds at once.)
#
# What the tool sees: CPython makes the same native calls for a try and for
# a blocking acquire of a free lock; only the Python call's arguments differ,
# and each CPython version compiles them to different bytecode.
#
# Twin of: py_blocking_forms.py (the same program with blocking acquires).
#
# concwatch-expect: clean

import sys
import threading
import time


class Shelf:
    def __init__(self, name, lock):
        self.name = name
        self.crates = 10
        self.lock = lock


def pair(kind):
    if kind == "condition":
        return Shelf("left", threading.Condition()), Shelf("right", threading.Lock())
    if kind == "rlock":
        return Shelf("left", threading.RLock()), Shelf("right", threading.Lock())
    return Shelf("left", threading.Lock()), Shelf("right", threading.Lock())


def load(left, right):
    with left.lock:
        with right.lock:
            left.crates -= 1
            right.crates += 1


# One picker per spelling of a try: each returns True when it got left.lock.
def try_false(lock):
    return lock.acquire(False)


def try_zero(lock):
    return lock.acquire(0)


def try_blocking_kw(lock):
    return lock.acquire(blocking=False)


def try_timeout_zero(lock):
    return lock.acquire(timeout=0)


def try_true_zero(lock):
    return lock.acquire(True, 0)


def try_false_forever(lock):
    return lock.acquire(False, -1)


def try_condition(cond):
    return cond.acquire(False)


def try_rlock(rlock):
    return rlock.acquire(blocking=False)


PICKERS = [
    ("lock", try_false), ("lock", try_zero), ("lock", try_blocking_kw), ("lock", try_timeout_zero),
    ("lock", try_true_zero), ("lock", try_false_forever), ("condition", try_condition), ("rlock", try_rlock),
]


def pick(left, right, attempt):
    while True:
        with right.lock:
            if attempt(left.lock):  # never waits
                try:
                    right.crates -= 1
                    left.crates += 1
                    return
                finally:
                    left.lock.release()
        time.sleep(0.001)  # left was busy: let go of right, then start over


def main():
    ok = True
    for kind, attempt in PICKERS:
        left, right = pair(kind)
        for work in (lambda: load(left, right), lambda: pick(left, right, attempt)):
            t = threading.Thread(target=work)
            t.start()
            t.join()
        ok &= (left.crates, right.crates) == (10, 10)
    print("every crate is back" if ok else "crates lost")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

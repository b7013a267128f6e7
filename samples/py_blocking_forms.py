# py_blocking_forms.py - the warehouse of py_trylock_forms.py, where the
# picker waits for the second lock instead of trying it: eight lock-order
# inversions.
#
# Eight pairs of locks (shelves of a warehouse, each with its own lock).  The
# loader moves a crate from the left shelf to the right one: it locks left,
# then right.  The picker moves a crate back: it locks right, then left,
# waiting for it, spelled in each pair one of the ways a blocking acquire
# can be written (the look-alikes of the tries in py_trylock_forms.py):
#
#   acquire(True)           acquire(1)              acquire(blocking=True)
#   acquire(timeout=-1)     acquire(True, -1)       acquire()
#   a Condition's acquire(True)                     an RLock's acquire(blocking=True)
#
# In every pair the two threads take the two locks in opposite orders: run
# at the same time, each could hold one lock and wait forever for the other.
# Here they run one after the other, so this run never hangs; the eight lock
# orders are the bugs, one cycle each.  Each report names what the user made:
# Lock, Condition, RLock.
#
# Twin of: py_trylock_forms.py (the picker only tries: correct).
#
# concwatch-expect: lock-order-inversion=8
# concwatch-expect-text: Lock M2 acquired here while holding Lock M1
# concwatch-expect-text: (Condition M1 acquired here while holding Lock M2|Lock M2 acquired here while holding Condition M1)
# concwatch-expect-text: (RLock M1 acquired here while holding Lock M2|Lock M2 acquired here while holding RLock M1)
# concwatch-expect-text: \bpick \S*py_blocking_forms\.py:@line(wait)\b

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


# One picker per spelling of a blocking acquire: each returns True once it has left.lock.
def wait_true(lock):
    return lock.acquire(True)


def wait_one(lock):
    return lock.acquire(1)


def wait_blocking_kw(lock):
    return lock.acquire(blocking=True)


def wait_timeout_forever(lock):
    return lock.acquire(timeout=-1)


def wait_true_forever(lock):
    return lock.acquire(True, -1)


def wait_plain(lock):
    return lock.acquire()


def wait_condition(cond):
    return cond.acquire(True)


def wait_rlock(rlock):
    return rlock.acquire(blocking=True)


PICKERS = [
    ("lock", wait_true), ("lock", wait_one), ("lock", wait_blocking_kw), ("lock", wait_timeout_forever),
    ("lock", wait_true_forever), ("lock", wait_plain), ("condition", wait_condition), ("rlock", wait_rlock),
]


def pick(left, right, attempt):
    while True:
        with right.lock:
            if attempt(left.lock):  # waits for left while holding right  # @wait
                try:
                    right.crates -= 1
                    left.crates += 1
                    return
                finally:
                    left.lock.release()
        time.sleep(0.001)  # not reached: a blocking acquire returns only with the lock


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

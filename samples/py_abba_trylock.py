# py_abba_trylock.py - ABBA in Python where one side only tries: cannot
# deadlock.
#
# alice_pays_bob() locks alice, then bob, waiting for each.  bob_pays_alice()
# locks bob, then only *tries* alice with acquire(blocking=False); when alice
# is busy it releases bob and starts over.  A non-blocking acquire never
# waits, so the bob -> alice side can never be stuck holding bob: the cycle
# cannot close and the program cannot deadlock.  (The threads run one after
# the other, like py_abba.py, so here the try always succeeds at once.)
#
# Python twin of abba_trylock.c.  What the tool sees: CPython's blocking
# acquire() also starts with a sem_trywait() and stops there when the lock is
# free, so at the semaphore level this try and the blocking acquire of
# py_abba.py are the same call; only the Python call (blocking=False) differs.
#
# concwatch-expect: clean

import sys
import threading
import time


class Account:
    def __init__(self, name, balance):
        self.name = name
        self.balance = balance
        self.lock = threading.Lock()


alice = Account("alice", 100)
bob = Account("bob", 100)


def transfer(src, dst, amount):
    with src.lock:
        with dst.lock:
            src.balance -= amount
            dst.balance += amount


def transfer_backing_off(src, dst, amount):
    while True:
        with src.lock:
            if dst.lock.acquire(blocking=False):  # never waits
                try:
                    src.balance -= amount
                    dst.balance += amount
                    return
                finally:
                    dst.lock.release()
        time.sleep(0.001)  # dst was busy: let go of src, then start over


def alice_pays_bob():
    transfer(alice, bob, 10)


def bob_pays_alice():
    transfer_backing_off(bob, alice, 20)


def main():
    for payment in (alice_pays_bob, bob_pays_alice):
        t = threading.Thread(target=payment)
        t.start()
        t.join()
    print("alice:", alice.balance, "bob:", bob.balance)
    return 0 if (alice.balance, bob.balance) == (110, 90) else 1


if __name__ == "__main__":
    sys.exit(main())

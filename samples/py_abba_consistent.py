# py_abba_consistent.py - the transfers of py_abba.py in one global lock
# order: correct.
#
# transfer(src, dst) always locks the account with the smaller number first,
# whichever way the money goes.  alice_pays_bob() and bob_pays_alice() both
# take alice's lock, then bob's: every thread nests the two locks in the same
# order, so no cycle exists and no interleaving can deadlock.  To show it, the
# two payments run at the same time, 200 times each.
#
# Twin of: py_abba.py.
#
# concwatch-expect: clean

import sys
import threading


class Account:
    def __init__(self, number, balance):
        self.number = number
        self.balance = balance
        self.lock = threading.Lock()


alice = Account(1, 1000)
bob = Account(2, 1000)


def transfer(src, dst, amount):
    first, second = (src, dst) if src.number < dst.number else (dst, src)
    with first.lock:
        with second.lock:
            src.balance -= amount
            dst.balance += amount


def alice_pays_bob():
    for _ in range(200):
        transfer(alice, bob, 1)


def bob_pays_alice():
    for _ in range(200):
        transfer(bob, alice, 2)


def main():
    threads = [threading.Thread(target=f) for f in (alice_pays_bob, bob_pays_alice)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("alice:", alice.balance, "bob:", bob.balance)
    return 0 if (alice.balance, bob.balance) == (1200, 800) else 1


if __name__ == "__main__":
    sys.exit(main())

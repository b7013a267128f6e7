# py_abba.py - ABBA in Python: two threading.Locks taken in opposite orders.
#
# The bank transfer of abba.c: transfer(src, dst) locks src's lock, then
# dst's.  alice_pays_bob() runs transfer(alice, bob) and bob_pays_alice() runs
# transfer(bob, alice).  Run at the same time, each thread could take its first
# lock and wait forever for the other's (py_abba_hang.py).  Here the second
# thread starts only after the first one has been joined, so this run never
# hangs: the lock order alone (alice -> bob, then bob -> alice) is the bug, one
# cycle of two edges, both taken at the same line of transfer(): one called
# from alice_pays_bob(), the other from bob_pays_alice().
#
# Correct twin: py_abba_consistent.py (a global order).
#
# concwatch-expect: lock-order-inversion=1
# concwatch-expect-text: \btransfer\b
# concwatch-expect-text: py_abba\.py:@line(edge)\b.*\n.*\balice_pays_bob\b
# concwatch-expect-text: py_abba\.py:@line(edge)\b.*\n.*\bbob_pays_alice\b

import threading


class Account:
    def __init__(self, name, balance):
        self.name = name
        self.balance = balance
        self.lock = threading.Lock()


alice = Account("alice", 100)
bob = Account("bob", 100)


def transfer(src, dst, amount):
    with src.lock:
        with dst.lock:  # @edge
            src.balance -= amount
            dst.balance += amount


def alice_pays_bob():
    transfer(alice, bob, 10)


def bob_pays_alice():
    transfer(bob, alice, 20)


def main():
    # One after the other: this run cannot hang, the order is the bug.
    for payment in (alice_pays_bob, bob_pays_alice):
        t = threading.Thread(target=payment)
        t.start()
        t.join()
    print("alice:", alice.balance, "bob:", bob.balance)


if __name__ == "__main__":
    main()

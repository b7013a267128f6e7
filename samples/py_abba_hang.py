# py_abba_hang.py - ABBA in Python that really deadlocks.
#
# The transfers of py_abba.py, but the two payments run at the same time and a
# threading.Barrier makes the worst interleaving certain: alice_pays_bob()
# holds alice's lock and bob_pays_alice() holds bob's when both go for their
# second lock.  Each now waits for a lock the other will never release, and
# main waits in join() for them: every thread is blocked for good.
#
# Natively the program hangs: never run it without concwatch.  Under concwatch
# the hang must be reported as one deadlock (one bug: not a deadlock plus a
# lock-order inversion) and the program ended (exit status 66).
#
# concwatch-expect: deadlock=1
# concwatch-expect-text: py_abba_hang\.py:@line(wait)\b.*\n.*\balice_pays_bob\b
# concwatch-expect-text: py_abba_hang\.py:@line(wait)\b.*\n.*\bbob_pays_alice\b

import threading


class Account:
    def __init__(self, name, balance):
        self.name = name
        self.balance = balance
        self.lock = threading.Lock()


alice = Account("alice", 100)
bob = Account("bob", 100)

# Both threads hold their first lock before either asks for its second.
both_hold_one = threading.Barrier(2)


def transfer(src, dst, amount):
    with src.lock:
        both_hold_one.wait()
        # Each thread now holds one lock and waits here forever for the other.
        with dst.lock:  # @wait
            src.balance -= amount
            dst.balance += amount


def alice_pays_bob():
    transfer(alice, bob, 10)


def bob_pays_alice():
    transfer(bob, alice, 20)


def main():
    threads = [threading.Thread(target=f) for f in (alice_pays_bob, bob_pays_alice)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("alice:", alice.balance, "bob:", bob.balance)


if __name__ == "__main__":
    main()

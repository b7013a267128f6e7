# py_abba_hang_join_timeout.py - the ABBA hang of py_abba_hang.py, with main
# joining in the Ctrl-C-friendly way.
#
# alice_pays_bob() holds alice's lock and bob_pays_alice() holds bob's when
# both go for their second lock (a Barrier makes that certain): each waits
# forever for a lock the other will never release.  Main does not block in a
# plain join(): it calls join(0.5) in a loop while the thread is alive, the
# usual idiom that keeps Ctrl-C working.  So main is never blocked for long,
# but it waits for threads that will never end: the program hangs all the
# same, and the bug is the same lock cycle between the two payments.
#
# Natively the program hangs: never run it without concwatch.  Under concwatch
# the hang must be reported as one deadlock and the program ended (exit 66).
#
# concwatch-expect: deadlock=1
# concwatch-expect-text: py_abba_hang_join_timeout\.py:@line(wait)\b.*\n.*\balice_pays_bob\b
# concwatch-expect-text: py_abba_hang_join_timeout\.py:@line(wait)\b.*\n.*\bbob_pays_alice\b

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
        while t.is_alive():
            t.join(0.5)  # wakes up twice a second, so Ctrl-C is handled
    print("alice:", alice.balance, "bob:", bob.balance)


if __name__ == "__main__":
    main()

# py_bank_ordered.py - transfers that lock the lower account number first:
# correct twin of py_bank_one_way.py.
#
# transfer() takes the two account locks in the order of the account
# numbers, whichever pays: one global order, and money moves every way
# between all three without two transfers ever able to wait for each other.
# Carol's lock is taken inside alice's and inside bob's (no parent-child
# hierarchy explains that), but accounts are opened in number order, so every
# nesting of two account locks goes from the lock made first to the lock made
# later: concwatch sees that order and predicts nothing.
#
# concwatch-expect: clean

import threading


class Account:
    def __init__(self, number):
        self.number = number
        self.balance = 100
        self.lock = threading.Lock()


def transfer(src, dst, amount):
    first, second = (src, dst) if src.number < dst.number else (dst, src)
    with first.lock:
        with second.lock:
            src.balance -= amount
            dst.balance += amount


alice, bob, carol = Account(1), Account(2), Account(3)


def teller(src, dst):
    for _ in range(100):
        transfer(src, dst, 1)


threads = [threading.Thread(target=teller, args=pair)
           for pair in ((alice, bob), (bob, alice), (carol, bob), (bob, carol),
                        (alice, carol), (carol, alice))]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(alice.balance + bob.balance + carol.balance)

# py_bank_one_way.py - transfer(src, dst) locks src, then dst: a deadlock
# waiting to happen, in a run that only ever moves money one way.
#
# Every Account makes its threading.Lock at one line of __init__: one class of
# locks.  transfer() locks the payer's, then the payee's.  In this run every
# standing order pays one way only (0 pays 3 and 1, 3 pays 1, 1 pays 4, 4
# pays 2, 2 pays 5), so the locks never form a cycle and the run cannot
# hang; but the day 1 pays 0 while 0 pays 1, each thread holds one lock and
# waits for the other.  Nothing in the run orders the account locks: not the
# order they were made in (3 pays 1), nor, but by a 1-in-360 chance, their
# addresses, nor a hierarchy (1's lock is taken inside 0's and inside 3's):
# one lock-order-inversion, predicted from the class.
#
# Correct twin: py_bank_ordered.py (lower account number first).
#
# concwatch-expect: lock-order-inversion=1
# concwatch-expect-text: predicted cycle: locks made at one place are taken inside each other
# concwatch-expect-text: py_bank_one_way\.py:@line(inner)\b

import threading


class Account:
    def __init__(self, number):
        self.number = number
        self.balance = 100
        self.lock = threading.Lock()


def transfer(src, dst, amount):
    with src.lock:
        with dst.lock:  # @inner
            src.balance -= amount
            dst.balance += amount


accounts = [Account(number) for number in range(10)]
standing_orders = [(0, 3), (3, 7), (7, 1), (0, 1), (1, 8), (8, 4), (4, 2), (2, 9), (9, 5), (5, 6)]


def pay(src, dst):
    for _ in range(50):
        transfer(accounts[src], accounts[dst], 1)


threads = [threading.Thread(target=pay, args=order) for order in standing_orders]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sum(a.balance for a in accounts))

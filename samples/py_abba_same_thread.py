# py_abba_same_thread.py - ABBA in Python inside one request handler.
#
# handle_order() pays (shop's lock, then the supplier's) and then refunds
# (the supplier's, then shop's): each thread that runs it takes the two
# threading.Locks in both orders.  Two handlers running at the same time can
# each hold one lock and wait forever for the other.  Here the second handler
# starts only after the first has been joined, so this run never hangs; the
# two orders are the bug, even though both come from one function in one
# thread.  (Every Python thread also holds its own tstate lock, threading's
# join() sentinel, all its life: that lock protects nothing here.)
#
# Twin of: py_abba_consistent.py (one global order).
#
# concwatch-expect: lock-order-inversion=1
# concwatch-expect-text: py_abba_same_thread\.py:@line(edge)\b.*\n.*\bpay\b
# concwatch-expect-text: py_abba_same_thread\.py:@line(edge)\b.*\n.*\brefund\b

import threading


class Account:
    def __init__(self, balance):
        self.balance = balance
        self.lock = threading.Lock()


shop = Account(100)
supplier = Account(100)


def transfer(src, dst, amount):
    with src.lock:
        with dst.lock:  # @edge
            src.balance -= amount
            dst.balance += amount


def pay(amount):
    transfer(shop, supplier, amount)


def refund(amount):
    transfer(supplier, shop, amount)


def handle_order():
    pay(30)
    refund(10)


for _ in range(2):
    handler = threading.Thread(target=handle_order)
    handler.start()
    handler.join()
print("shop", shop.balance, "supplier", supplier.balance)

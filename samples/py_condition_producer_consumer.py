# py_condition_producer_consumer.py - a bounded buffer with two Conditions on
# one Lock: correct.
#
# The tutorial producer/consumer, built the way queue.Queue is built: one
# threading.Lock guards a deque of at most four items, and two Conditions on
# that lock say "not full" and "not empty".  Two producers put 100 orders each,
# two consumers take them until each gets a None (end of work).  Every wait
# sits in a `while` loop that re-checks its predicate, so no wake-up is lost.
#
# What the tool sees is not simple: each Condition.wait() makes a fresh Lock,
# acquires it, releases the condition's lock and acquires the fresh lock a
# second time; the notifier releases it from another thread, and the waiter
# then re-takes the condition's lock while its fresh lock stays locked (it is
# dropped, not released).  None of this is a self-deadlock, a lock-order
# inversion or a misuse.
#
# concwatch-expect: clean

import collections
import sys
import threading

CAPACITY = 4
ORDERS = 100

lock = threading.Lock()
not_full = threading.Condition(lock)
not_empty = threading.Condition(lock)
buffer = collections.deque()
eaten = []


def put(item):
    with not_full:
        while len(buffer) >= CAPACITY:
            not_full.wait()
        buffer.append(item)
        not_empty.notify()


def take():
    with not_empty:
        while not buffer:
            not_empty.wait()
        item = buffer.popleft()
        not_full.notify()
        return item


def producer(first):
    for order in range(first, first + ORDERS):
        put(order)


def consumer():
    while True:
        order = take()
        if order is None:
            return
        with lock:
            eaten.append(order)


def main():
    producers = [threading.Thread(target=producer, args=(n * ORDERS,)) for n in range(2)]
    consumers = [threading.Thread(target=consumer) for _ in range(2)]
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()
    for _ in consumers:
        put(None)  # one end-of-work marker per consumer
    for t in consumers:
        t.join()
    print("orders eaten:", len(eaten))
    return 0 if sorted(eaten) == list(range(2 * ORDERS)) else 1


if __name__ == "__main__":
    sys.exit(main())

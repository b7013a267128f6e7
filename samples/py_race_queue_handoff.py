# py_race_queue_handoff.py - work handed over through a queue.Queue: correct.
#
# A producer builds Order objects, fills in their fields and puts each on a
# queue.Queue; a consumer gets them, updates their `status` and totals
# them, and puts each back on a second queue for main.  No lock appears in
# the program: every Order is touched by one thread at a time, and the hand
# over (put -> get, both under the queue's own lock) orders the producer's
# writes before the consumer's accesses, and the consumer's before main's.
# Clean, although three threads touch every order.
#
# concwatch-expect: clean

import queue
import sys
import threading


class Order:
    def __init__(self, number):
        self.number = number
        self.amount = 0
        self.status = "new"


def producer(todo):
    for n in range(200):
        order = Order(n)
        order.amount = n * 10
        todo.put(order)
    todo.put(None)


def consumer(todo, done, totals):
    while True:
        order = todo.get()
        if order is None:
            done.put(None)
            return
        order.status = "paid"
        totals["sum"] = totals.get("sum", 0) + order.amount
        done.put(order)


def main():
    todo, done = queue.Queue(), queue.Queue()
    totals = {}
    threads = [threading.Thread(target=producer, args=(todo,)),
               threading.Thread(target=consumer, args=(todo, done, totals))]
    for t in threads:
        t.start()
    paid = 0
    while True:
        order = done.get()
        if order is None:
            break
        paid += order.status == "paid"
    for t in threads:
        t.join()
    print("paid:", paid, "sum:", totals["sum"])
    return 0 if paid == 200 and totals["sum"] == sum(n * 10 for n in range(200)) else 1


if __name__ == "__main__":
    sys.exit(main())

# py_race_condition_buffer.py - a bounded buffer guarded by a Condition:
# correct.
#
# A Buffer keeps its items in a list and a count in `self.size`; put() and
# get() touch both only inside `with self.cond:` (a Condition on the
# buffer's Lock), waiting in `while` loops while the buffer is full or
# empty.  Two producers and two consumers move 400 items.  Every access to
# the buffer's state happens under the Condition's lock: clean.
#
# concwatch-expect: clean

import sys
import threading


class Buffer:
    def __init__(self, capacity):
        self.items = [None] * capacity
        self.head = 0
        self.size = 0
        self.capacity = capacity
        self.cond = threading.Condition()

    def put(self, item):
        with self.cond:
            while self.size == self.capacity:
                self.cond.wait()
            self.items[(self.head + self.size) % self.capacity] = item
            self.size += 1
            self.cond.notify_all()

    def get(self):
        with self.cond:
            while self.size == 0:
                self.cond.wait()
            item = self.items[self.head]
            self.head = (self.head + 1) % self.capacity
            self.size -= 1
            self.cond.notify_all()
            return item


def producer(buf, start):
    for n in range(start, start + 200):
        buf.put(n)


def consumer(buf, got, i):
    total = 0
    for _ in range(200):
        total += buf.get()
    got[i] = total


def main():
    buf = Buffer(8)
    got = [0, 0]
    threads = [threading.Thread(target=producer, args=(buf, 0)),
               threading.Thread(target=producer, args=(buf, 200)),
               threading.Thread(target=consumer, args=(buf, got, 0)),
               threading.Thread(target=consumer, args=(buf, got, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("sum:", sum(got))
    return 0 if sum(got) == sum(range(400)) else 1


if __name__ == "__main__":
    sys.exit(main())

# py_cond_lost_wakeup_fixed.py - Condition.wait() in a predicate loop:
# correct twin of py_cond_lost_wakeup.py.
#
# Same order of events: the producer publishes the order and notifies before
# the consumer exists.  The consumer waits only `while not ready:`: the state
# lives in `ready` (protected by the condition's lock), not in the notify, so
# a notify sent earlier is not needed and the consumer does not wait at all.
# A second round makes the consumer really wait: it starts first, and the
# producer notifies while it waits.
#
# concwatch-expect: clean

import sys
import threading
import time

cond = threading.Condition()
ready = False
order = None


def producer(value):
    global ready, order
    with cond:
        order = value
        ready = True
        cond.notify()


def consumer(got):
    global ready
    with cond:
        while not ready:
            cond.wait()
        got.append(order)
        ready = False


def main():
    global ready
    got = []
    # Round 1: the notify comes first; the predicate makes it harmless.
    t = threading.Thread(target=producer, args=(42,))
    t.start()
    t.join()
    t = threading.Thread(target=consumer, args=(got,))
    t.start()
    t.join()
    # Round 2: the consumer waits first, the producer wakes it.
    c = threading.Thread(target=consumer, args=(got,))
    c.start()
    time.sleep(0.05)
    p = threading.Thread(target=producer, args=(43,))
    p.start()
    p.join()
    c.join()
    print("orders:", got)
    return 0 if got == [42, 43] else 1


if __name__ == "__main__":
    sys.exit(main())

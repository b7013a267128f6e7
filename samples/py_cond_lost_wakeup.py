# py_cond_lost_wakeup.py - Condition.wait() without its predicate after the
# notify was already sent: the wake-up is lost and the waiter hangs.
#
# The tutorial bug `with cond: cond.wait()` with no `while not ready:`.  A
# Condition has no memory: a notify() sent while nobody waits is gone.  Here
# the producer publishes the order and notifies before the consumer exists
# (producer started and joined first), then the consumer waits without
# checking `ready`.  No thread will ever notify again: the consumer waits
# forever and main waits forever in join().
#
# What the tool sees: Condition.wait() makes a fresh Lock, acquires it, and
# acquires it again; the second acquire waits for a notify() to release it.
# So the consumer is blocked on a lock that it took itself, but this is not a
# lock taken twice by mistake (py_lock_twice.py): it is a wait for a
# notification nobody will send, the same bug as cond_lost_wakeup.c, and it
# is counted the same way, as a deadlock.
#
# Natively the program hangs: never run it without concwatch.  Under concwatch
# the hang must be reported (one deadlock) and the program ended (exit 66).
# Correct twin: py_cond_lost_wakeup_fixed.py.
#
# concwatch-expect: deadlock=1
# concwatch-expect-text: \bconsumer\b
# concwatch-expect-text: py_cond_lost_wakeup\.py:@line(wait)\b
# concwatch-expect-text: waits to join thread T\d+ \(Thread\.join\)

import threading

cond = threading.Condition()
ready = False
order = None


def producer():
    global ready, order
    with cond:
        order = 42
        ready = True
        cond.notify()  # nobody waits yet: the notify is lost


def consumer(got):
    with cond:
        cond.wait()  # @wait
        got.append(order)


def main():
    got = []
    t = threading.Thread(target=producer)
    t.start()
    t.join()
    t = threading.Thread(target=consumer, args=(got,))
    t.start()
    t.join()
    print("order:", got)


if __name__ == "__main__":
    main()

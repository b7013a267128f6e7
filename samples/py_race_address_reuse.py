# py_race_address_reuse.py - objects made and dropped by each thread, their
# memory reused by the other's: correct.
#
# Two threads each build short-lived objects of one class and short-lived
# dicts, set an attribute and a key on each, and drop them, 5000 times, with
# nothing ordering the two threads.  No object is ever shared: each lives
# and dies in one thread.  But CPython reuses freed memory at once (the
# object allocator's pools, dict's free list), so one thread's new object
# often sits where the other's old one was.  A detector that knows
# variables by address alone would see the two threads write one
# `item.value` and report a race that is not there.  Clean.
#
# concwatch-expect: clean

import sys
import threading


class Item:
    def __init__(self, value):
        self.value = value


def churn(out, i):
    kept = 0
    for n in range(5000):
        item = Item(n)
        item.value += 1
        d = {}
        d["key"] = item.value
        kept += d["key"] - n
        del item, d
    out[i] = kept


def main():
    out = [0, 0]
    threads = [threading.Thread(target=churn, args=(out, i)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("kept:", out)
    return 0 if out == [5000, 5000] else 1


if __name__ == "__main__":
    sys.exit(main())

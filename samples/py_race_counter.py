# py_race_counter.py - the threading tutorial's first bug: a shared counter
# updated by two threads with no lock.
#
# One thread adds 1 to the global `total` 2000 times, the other subtracts 1
# as often; main starts both, joins them and prints `total`, which should be
# 0.  `total += 1` is a read of the global, an addition and a write back:
# three steps.  A thread switch between the read and the write loses the
# other thread's updates (on CPython 3.11 the GIL rarely switches there, so a
# run usually prints 0; a free-threaded build loses updates for real).
#
# Nothing orders the two threads' accesses to `total`: no lock held at both,
# no join or queue between them.  That is the race, whatever this run's
# interleaving did: one finding, naming `total` and both lines.
#
# Correct twin: py_race_counter_locked.py (a Lock around each update).
#
# concwatch-expect: data-race=1
# concwatch-expect-text: global 'total' of module __main__
# concwatch-expect-text: \bsubtract [^ ]*py_race_counter\.py:@line(subtract)\b
# concwatch-expect-text: \badd [^ ]*py_race_counter\.py:@line(add)\b

import sys
import threading

ROUNDS = 2000
total = 0


def add():
    global total
    for _ in range(ROUNDS):
        total += 1  # @add


def subtract():
    global total
    for _ in range(ROUNDS):
        total -= 1  # @subtract


def main():
    adder = threading.Thread(target=add, name="adder")
    subtracter = threading.Thread(target=subtract, name="subtracter")
    adder.start()
    subtracter.start()
    adder.join()
    subtracter.join()
    print("total:", total)
    return 0


if __name__ == "__main__":
    sys.exit(main())

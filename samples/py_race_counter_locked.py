# py_race_counter_locked.py - the tutorial's counter with a Lock: correct.
#
# The twin of py_race_counter.py: one thread adds 1 to the global `total`
# 2000 times, the other subtracts 1 as often, each update inside
# `with lock:`.  Every access to `total` happens under the one Lock, so each
# thread's update is ordered after the other's last release: no race, and
# `total` is 0 after both are joined, on every interpreter and every run.
#
# concwatch-expect: clean

import sys
import threading

ROUNDS = 2000
total = 0
lock = threading.Lock()


def add():
    global total
    for _ in range(ROUNDS):
        with lock:
            total += 1


def subtract():
    global total
    for _ in range(ROUNDS):
        with lock:
            total -= 1


def main():
    adder = threading.Thread(target=add, name="adder")
    subtracter = threading.Thread(target=subtract, name="subtracter")
    adder.start()
    subtracter.start()
    adder.join()
    subtracter.join()
    print("total:", total)
    return 0 if total == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

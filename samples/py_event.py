# py_event.py - threads wait for a threading.Event: correct.
#
# A race-start pattern: four runners are started and each waits on the Event
# `go`; main sets it once all are ready (each runner reports in on the Event of
# its own, `ready[i]`, that main waits for).  Each runner then adds its laps
# to a shared total under a Lock.
#
# An Event is a flag on a Condition: set() notifies every waiter, and a wait()
# after set() returns at once, so it cannot lose a wake-up.  Each waiter blocks
# on a fresh lock that the setter releases from another thread: that is the
# Event working, not a lock taken twice.
#
# concwatch-expect: clean

import sys
import threading

RUNNERS = 4

go = threading.Event()
ready = [threading.Event() for _ in range(RUNNERS)]
total_lock = threading.Lock()
total = 0


def runner(i):
    global total
    ready[i].set()
    go.wait()
    for _ in range(100):
        with total_lock:
            total += 1


def main():
    threads = [threading.Thread(target=runner, args=(i,)) for i in range(RUNNERS)]
    for t in threads:
        t.start()
    for r in ready:
        r.wait()
    go.set()
    for t in threads:
        t.join()
    print("laps:", total)
    return 0 if total == RUNNERS * 100 else 1


if __name__ == "__main__":
    sys.exit(main())

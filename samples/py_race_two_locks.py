# py_race_two_locks.py - a flag written under one Lock and read under
# another: two locks order nothing.
#
# The Python cousin of flag_two_locks.c.  A producer fills `results` and
# then sets `done` inside `with results_lock:`; a reporter checks `done`
# inside `with log_lock:`, the lock it takes for printing.  Each access holds
# a lock, but not the same one: nothing orders the write of `done` with the
# read, and the reporter may print a half-filled result.  One race, on the
# global `done`, with the lock each side held named in the report.
#
# Correct twin: py_race_two_locks_fixed.py (one lock for both).
#
# concwatch-expect: data-race=1
# concwatch-expect-text: global 'done' of module __main__
# concwatch-expect-text: \(holding Lock M1\)
# concwatch-expect-text: \(holding Lock M2\)
# concwatch-expect-text: M1 is `(results_lock|log_lock)`
# concwatch-expect-text: M2 is `(results_lock|log_lock)`

import sys
import threading

results_lock = threading.Lock()
log_lock = threading.Lock()
results = []
done = False


def producer():
    global done
    for n in range(100):
        with results_lock:
            results.append(n * n)
    with results_lock:
        done = True  # @write


def reporter(seen):
    for _ in range(100):
        with log_lock:
            if done:  # @read
                seen.append(len(results))
                return


def main():
    seen = []
    threads = [threading.Thread(target=producer), threading.Thread(target=reporter, args=(seen,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("seen:", seen)
    return 0


if __name__ == "__main__":
    sys.exit(main())

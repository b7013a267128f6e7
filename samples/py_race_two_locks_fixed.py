# py_race_two_locks_fixed.py - the flag and the results under one Lock:
# correct.
#
# The twin of py_race_two_locks.py: the producer fills `results` and sets
# `done` under `results_lock`, and the reporter checks `done` and reads
# `results` under that same lock (taking `log_lock` inside it for printing).
# Both sides of every access hold `results_lock`: ordered, clean.
#
# concwatch-expect: clean

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
        done = True


def reporter(seen):
    for _ in range(100):
        with results_lock:
            if done:
                with log_lock:
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
    return 0 if not seen or seen == [100] else 1


if __name__ == "__main__":
    sys.exit(main())

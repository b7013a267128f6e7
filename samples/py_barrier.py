# py_barrier.py - threads meet at a threading.Barrier each round: correct.
#
# A simulation in lock-step: four workers each compute their share of a round,
# then wait at the Barrier until all four have finished it, for five rounds.
# The Barrier's action (run by one thread when the last one arrives) closes
# the round.  No worker starts round n+1 before all have finished round n.
#
# A Barrier is a Condition on a Lock: the first three arrivals wait in
# Condition.wait(), the fourth notifies them all.  Correct code: clean.
#
# concwatch-expect: clean

import sys
import threading

WORKERS = 4
ROUNDS = 5

done = [[False] * WORKERS for _ in range(ROUNDS)]
closed = []
errors = []


def close_round():
    n = len(closed)
    if not all(done[n]):
        errors.append("round %d closed before every worker finished it" % n)
    closed.append(n)


barrier = threading.Barrier(WORKERS, action=close_round)


def worker(i):
    for n in range(ROUNDS):
        if len(closed) != n:
            errors.append("worker %d started round %d early" % (i, n))
        done[n][i] = True
        barrier.wait()


def main():
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("rounds closed:", len(closed), "errors:", errors)
    return 0 if closed == list(range(ROUNDS)) and not errors else 1


if __name__ == "__main__":
    sys.exit(main())

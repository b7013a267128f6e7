# py_mp_deadlock.py - two processes blocked on each other's
# multiprocessing.Lock: a real deadlock across processes.
#
# The ledger and audit log of py_mp_locks_abba.py, with the two processes at
# the same time: each takes its first lock, both meet at a
# multiprocessing.Barrier, so each holds one lock, and then each waits for
# the other's, for ever; the parent waits for both.  Neither process alone
# shows a cycle; together they are one deadlock, each side with its pid.
#
# Natively the program hangs: never run it without concwatch.  Under
# concwatch: one deadlock, and the two workers are ended.
#
# concwatch-expect: deadlock=1
# concwatch-expect-text: 2 processes wait for each other in a cycle
# concwatch-expect-text: \bpost [^ ]*py_mp_deadlock\.py:[0-9]+ \(python\)
# concwatch-expect-text: \baudit [^ ]*py_mp_deadlock\.py:[0-9]+ \(python\)

import multiprocessing


def post(ledger, log, both_hold_one):
    with ledger:
        both_hold_one.wait()
        with log:
            pass


def audit(ledger, log, both_hold_one):
    with log:
        both_hold_one.wait()
        with ledger:
            pass


if __name__ == "__main__":
    ledger, log = multiprocessing.Lock(), multiprocessing.Lock()
    both_hold_one = multiprocessing.Barrier(2)
    workers = [multiprocessing.Process(target=work, args=(ledger, log, both_hold_one)) for work in (post, audit)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print("done")

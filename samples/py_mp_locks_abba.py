# py_mp_locks_abba.py - two processes take two multiprocessing.Locks in
# opposite orders.
#
# A ledger and its audit log, each guarded by a multiprocessing.Lock (a named
# POSIX semaphore shared by the processes).  The posting process locks the
# ledger, then the log; the audit process locks the log, then the ledger.
# They are the same two locks in both processes: run at the same time, each
# can take its first lock and wait for ever for the other's.  Here the audit
# process starts only after the posting one has ended, so this run never
# hangs, and no single process takes both orders: only the two processes'
# orders together make the cycle.  One lock-order-inversion, across processes.
#
# Correct twin: py_mp_pool_queue.py (processes sharing a queue and a lock the
# safe way).
#
# concwatch-expect: lock-order-inversion=1
# concwatch-expect-text: in the lock order of processes
# concwatch-expect-text: #1 post [^ ]*py_mp_locks_abba\.py:[0-9]+ \(python\)
# concwatch-expect-text: #1 audit [^ ]*py_mp_locks_abba\.py:[0-9]+ \(python\)

import multiprocessing


def post(ledger, log):
    with ledger:
        with log:
            pass


def audit(ledger, log):
    with log:
        with ledger:
            pass


if __name__ == "__main__":
    ledger, log = multiprocessing.Lock(), multiprocessing.Lock()
    for work in (post, audit):   # one after the other: this run cannot hang
        p = multiprocessing.Process(target=work, args=(ledger, log))
        p.start()
        p.join()
        if p.exitcode != 0:
            raise SystemExit(1)
    print("posted and audited")

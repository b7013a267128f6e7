/*
 * Hang watcher: turns a program that stopped making progress into a
 * `deadlock` (or `self-deadlock`) finding, then ends it.
 *
 * A thread of the shim's own samples, every 100 ms, what each thread of the
 * program is blocked in (the interceptors publish it in cw_thread.wait) and
 * concludes a hang in two cases:
 *   - wait-for cycle: blocked threads wait in a ring on mutexes, write-held
 *     rwlocks, spinlocks or joins, each held by (or being) the next thread of
 *     the ring.  Only the owner can release those, so the ring is stuck for
 *     good; reported once it is seen unchanged on two consecutive samples.
 *   - all blocked: every thread of the process sits in an intercepted wait
 *     with no timeout, unchanged for longer than --hang-after (default 2 s).
 *     This catches what has no owner to point at: a semaphore nobody posts,
 *     a condition never signalled, a lock taken twice that only another
 *     thread could release (CPython's locks are semaphores).  A thread in an
 *     uninterceptable call (read, sleep, poll) or a timed wait may still wake
 *     up: then there is no report.
 * The report gives each blocked thread's current stack (captured by the
 * thread itself in a signal handler, since it is asleep in the kernel), its
 * Python stack when the program is CPython, what it waits on and who holds
 * that.  Then the program is ended with status 66.
 *
 * Started lazily: at the first thread creation or the first blocking wait.
 */
#ifndef CW_HANG_WATCH_H
#define CW_HANG_WATCH_H

#include "events/helper_thread.h"

/* Starts the watcher with the real pthread_create (the watcher is not a thread of the program). */
void cw_hang_watch_start_once(cw_thread_create_fn create);
void cw_hang_watch_after_fork_child(void);

#endif

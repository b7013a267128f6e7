/*
 * Condition variables, barriers and semaphores: who waits on them now, and
 * the misuses that concern their waiters.
 *
 *   - a condition wait with a mutex the caller does not hold (not locked at
 *     all, or held by another thread), or with another mutex than the one
 *     the threads already waiting on that condition use (POSIX binds a
 *     condition to one mutex while anyone waits on it);
 *   - a condition destroyed while a thread waits on it (glibc's destroy then
 *     waits, for ever if nothing wakes the waiter);
 *   - a barrier destroyed or initialised again while threads wait at it,
 *     initialised twice when it lives in static storage, waited on after it
 *     was destroyed;
 *   - a semaphore initialised again or destroyed while threads wait on it.
 * Each is one `misuse` finding, reported before the call is forwarded, at
 * most once per object and kind of misuse.  When the forwarded call then
 * hangs, the hang watcher ends the program without a second finding
 * (CW_LOCK_WAITERS_REPORTED).
 *
 * "A thread waits on a condition" must not count threads that were already
 * woken and are on their way out (a broadcast, then a destroy, is correct).
 * Each waiter notes the condition's count of signals and broadcasts (`wakes`,
 * bumped after the real call) when it begins; a broadcast wakes everyone who
 * began before it, a signal at most one waiter who began before it.  A
 * destroy is reported only when more waiters began after the last broadcast
 * than signals since could have woken, i.e. when some waiter is certainly
 * still asleep.  The bookkeeping lives in the lock table's slot of the
 * object; the calls here are not on the mutex fast path.
 */
#ifndef CW_WAIT_OBJECTS_H
#define CW_WAIT_OBJECTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "thread_state.h"

/* ---- condition variables ---- */

/* Before the real wait: checks the mutex, publishes the wait (for the hang
 * watcher and for destroy), counts the waiter.  owner_tid: the mutex's
 * owner as glibc records it (0: not locked). */
void cw_cond_wait_begin(cw_thread *t, uintptr_t cond, uintptr_t mutex, pid_t owner_tid, bool timed,
                        uintptr_t pc);
/* After the real wait returned (or was cancelled). */
void cw_cond_wait_end(cw_thread *t, uintptr_t cond);
/* After a real signal (all = false) or broadcast. */
void cw_cond_woken(uintptr_t cond, bool all);
/* Before the real init / destroy.  Returns true when a destroy found
 * waiters (reported): its wait is then the program's hang, not a new one. */
void cw_cond_created(cw_thread *t, uintptr_t cond, uintptr_t pc);
bool cw_cond_destroying(cw_thread *t, uintptr_t cond, uintptr_t pc);

/* ---- barriers ---- */

void cw_barrier_initialising(cw_thread *t, uintptr_t barrier, unsigned count, uintptr_t pc);
bool cw_barrier_destroying(cw_thread *t, uintptr_t barrier, uintptr_t pc);
/* Before the real wait. */
void cw_barrier_arriving(cw_thread *t, uintptr_t barrier, uintptr_t pc);

/* ---- semaphores ---- */

void cw_semaphore_initialising(cw_thread *t, uintptr_t sem, uintptr_t pc);
bool cw_semaphore_destroying(cw_thread *t, uintptr_t sem, uintptr_t pc);
/* Around a wait that blocks (the trywait before it failed). */
void cw_semaphore_wait_begin(uintptr_t sem);
void cw_semaphore_wait_end(uintptr_t sem);

#endif

/*
 * The findings that lock events decide on the spot, written as records
 * (record_writer.h) the moment the shim sees them: a cycle in the lock
 * order (lock-order-inversion), self-deadlock, and misuse (unlocking a lock
 * the thread does not hold, locking a destroyed mutex, a thread ending while
 * it holds locks).  Also how they name things: threads ("T3") and locks
 * ("mutex", or what the Python code made: "Lock", "RLock", ...).
 *
 * The rules:
 *   - One finding per piece of code: a cycle is reported only when one of
 *     its edges was taken at a pair of stacks (holding here, acquiring here)
 *     that no reported cycle had (cw_code_pairs_new, predicted_cycles.h);
 *     the rest are counted, and cost no stack and no record.
 *   - One finding per bug: what follows from a misuse already reported (the
 *     unlock of a lock whose memory was freed while locked, or of a
 *     destroyed mutex whose lock failed; a thread ending with such a freed
 *     lock; the lock of a destroyed mutex after the first) is not reported
 *     again.
 *   - A thread may end holding a robust mutex (made for it) or a semaphore
 *     (any thread may post it): not misuse.
 *   - A lock is described by where it was created, else where it was first
 *     used.
 * None of this is on the fast paths: each call is a bug being reported (or
 * a robust mutex being made, a thread ending).
 */
#ifndef CW_LOCK_FINDINGS_H
#define CW_LOCK_FINDINGS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lock_kind.h"
#include "thread_state.h"

/* Thread label for reports ("T3"). */
void cw_thread_label(uint32_t index, char *buf, unsigned size);

/* What reports call the lock at addr: "Lock", "RLock", "Condition"... for a
 * CPython lock (what the user made), else its kind ("mutex", "semaphore"). */
const char *cw_lock_type_name(uintptr_t addr, int kind);

/* The thread owner_tid (0: none) for a misuse report: its label into
 * `owner` ("" when it is not a thread the shim knows) and the stack it
 * took the lock at addr with (0 when not among its holds). */
cw_stack_id cw_lock_owner(pid_t owner_tid, uintptr_t addr, char *owner, unsigned size);

struct cw_record;
/* A `lock` line of a finding for the lock at addr: where it was created, or
 * else `fallback` (where it was first used). */
void cw_record_lock_at(struct cw_record *r, const char *id, cw_lock_kind kind, uintptr_t addr,
                       cw_stack_id fallback);

/* The thread is about to acquire a lock it already holds.  `hangs`: it would
 * wait forever (reported, then the program is ended); otherwise the call
 * fails or times out and the program goes on. */
void cw_self_deadlock(cw_thread *t, uintptr_t addr, cw_lock_kind kind, bool hangs, uintptr_t pc);

/* Unlock of a lock the caller does not hold: owner_tid 0 = it was not locked at all. */
void cw_unlock_misuse(cw_thread *t, uintptr_t addr, cw_lock_kind kind, pid_t owner_tid, uintptr_t pc);

/* The thread called pthread_mutex_lock/trylock/timedlock on a mutex and glibc
 * answered EINVAL: reported when the mutex was destroyed (once per mutex). */
void cw_lock_invalid(cw_thread *t, uintptr_t addr, uintptr_t pc);

/* The mutex just created at addr is robust: ending while holding it is how it is meant to be used. */
void cw_lock_robust(uintptr_t addr);

/* The thread is ending (not the main thread's exit): locks still held are
 * misuse.  pc: where it called pthread_exit, or 0 when its start routine
 * returned or it was cancelled.  Once per thread: later calls find nothing held. */
void cw_thread_exiting(cw_thread *t, uintptr_t pc, bool cancelled);

struct cw_cycle;
/* A new edge closed this cycle in the lock-order graph: written as a
 * lock-order-inversion finding if its code is new, the thread that came
 * first (lowest T number) telling the story.  Called by lock_events.c under
 * the graph's lock or the report lock, so two calls may run at once. */
void cw_report_lock_cycle(const struct cw_cycle *cycle);

#endif

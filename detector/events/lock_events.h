/*
 * Lock events: what the interceptors report to the analyses, and the checks
 * that are decided on the spot (self-deadlock, misuse), whose findings
 * lock_findings.h writes (included here: the interceptors call both).
 *
 * The interceptors (preload/) know the pthread/semaphore API and glibc's
 * object layouts; this layer knows only "thread t took/released/created/
 * destroyed the lock at addr".  The uncontended path — taking a lock while
 * holding none, releasing it — touches only the calling thread's state.
 * Nested acquisitions look up the lock's graph node and consult a per-thread
 * cache of edges already known; only a new edge (or a new context for one)
 * takes the global graph lock.
 */
#ifndef CW_LOCK_EVENTS_H
#define CW_LOCK_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lock_findings.h"
#include "lock_kind.h"
#include "thread_state.h"

/* How an acquisition may wait: only one that can wait may close a deadlock cycle. */
typedef enum cw_acquire_mode {
    CW_ACQ_TRY = 0,     /* trylock: never waits, adds no edge to the lock it tries */
    CW_ACQ_BLOCKING,    /* may wait forever */
    CW_ACQ_TIMED,       /* may wait, gives up after a timeout */
} cw_acquire_mode;

void cw_events_init(void);

/* A CPython process: its Locks are semaphores taken with a successful
 * sem_trywait, which there is the ordinary acquire and must feed the
 * lock-order graph.  Set once at start-up. */
extern bool cw_trywait_is_acquire;

/* Index of the thread's most recent hold of addr, or -1. */
static inline int cw_held_index(const cw_thread *t, uintptr_t addr)
{
    for (int i = (int)t->nheld - 1; i >= 0; i--)
        if (t->held[i].addr == addr)
            return i;
    return -1;
}

static inline void cw_held_remove(cw_thread *t, int i)
{
    for (uint32_t j = (uint32_t)i + 1; j < t->nheld; j++)
        t->held[j - 1] = t->held[j];
    t->nheld--;
}

/* Drops the thread's semaphore holds that a post ended since (anyone may
 * post a semaphore: such a hold is no lock held). */
void cw_held_drop_stale(cw_thread *t);

/* Posts of a semaphore by a thread other than the one that took it, so far:
 * a thread that has seen them all has no stale hold to drop. */
extern _Atomic uint32_t cw_cross_posts;

/* Drops the stale holds if another thread posted anything since this thread
 * last looked (one load when none did): before the locks held at an access
 * are read (the Python race checks).  Not before a take is recorded: a Lock
 * taken again after another thread gave it back stays a re-entry for lock
 * order, where it is mostly a signal (test_threading's test_tstate_lock:
 * `started` released by the thread it waits for, a cycle through it is no
 * deadlock); telling a signal's use from a lock's is not built. */
static inline void cw_held_refresh(cw_thread *t)
{
    uint32_t posts = atomic_load_explicit(&cw_cross_posts, memory_order_relaxed);
    if (__builtin_expect(posts != t->cross_posts_seen, 0)) {
        t->cross_posts_seen = posts;
        cw_held_drop_stale(t);
    }
}

/* Lock-order edges from every lock the thread holds to addr (out of line:
 * rare).  pc: the interceptor's caller, to capture a full stack when an edge
 * closes a cycle (0: none, e.g. Python, whose stacks are the interpreter's). */
void cw_acquired_nested(cw_thread *t, uintptr_t addr, cw_lock_kind kind, bool read, cw_stack_id stack,
                        uintptr_t pc);

/* The thread got the lock.  Inline: this and cw_released are the hot path,
 * and taking a lock while holding none costs a site-cache probe and a push. */
static inline void cw_acquired(cw_thread *t, uintptr_t addr, cw_lock_kind kind, bool read,
                               cw_acquire_mode mode, uintptr_t pc)
{
    cw_stack_id stack = cw_thread_site_stack(t, pc);
    if (t->nheld > 0 && mode != CW_ACQ_TRY)
        cw_acquired_nested(t, addr, kind, read, stack, pc);
    if (t->nheld < CW_MAX_HELD)
        t->held[t->nheld++] = (cw_held_lock){
            .addr = addr, .stack = stack, .kind = (uint8_t)kind, .read = read,
        };
}

/* ---- the fast paths' acquisition (preload/interceptor.h) ---- */

/* kind, mode (read/write) and acquire mode in one argument, so that the out
 * of line parts take at most six (the fast paths jump to them). */
#define CW_ACQ_PACK(kind, read, mode) ((unsigned)(kind) | (unsigned)(read) << 8 | (unsigned)(mode) << 9)

/* Out of line: the rest of an acquisition the fast path could not finish
 * (the thread holds other locks, its held list is full, or the call site's
 * stack is not cached yet).  Records it like cw_acquired, leaves the shim
 * (depth 0) and returns 0. */
int cw_acquired_out_of_line(cw_thread *t, uintptr_t addr, unsigned packed, uintptr_t pc);

/* The fast paths' cw_acquired, while the thread is in the shim (depth 1):
 * holding nothing else, with the call site's stack cached, the hold is four
 * stores; anything else goes out of line.  Leaves the shim; returns 0. */
static inline int cw_fast_acquired(cw_thread *t, uintptr_t addr, cw_lock_kind kind, bool read,
                                   cw_acquire_mode mode, uintptr_t pc)
{
    cw_site *site = cw_thread_site_slot(t, pc);
    if (__builtin_expect(t->nheld != 0 || site->pc != pc, 0))
        return cw_acquired_out_of_line(t, addr, CW_ACQ_PACK(kind, read, mode), pc);
    /* Field by field: a compound literal would also zero the padding. */
    cw_held_lock *h = &t->held[0];
    h->addr = addr;
    h->node = 0;
    h->stack = site->stack;
    h->epoch = 0;
    h->kind = (uint8_t)kind;
    h->read = read;
    h->not_gate = 0;
    h->unused = 0;
    t->nheld = 1;
    t->depth = 0;
    return 0;
}

/* The thread released the lock (drops its most recent hold of addr). */
static inline void cw_released(cw_thread *t, uintptr_t addr)
{
    if (__builtin_expect(t->nheld > 0 && t->held[t->nheld - 1].addr == addr, 1)) {
        t->nheld--;
        return;
    }
    int i = cw_held_index(t, addr);
    if (i >= 0)
        cw_held_remove(t, i);
}

/* A new lock lives at addr from now on (init). */
void cw_lock_created(cw_thread *t, uintptr_t addr, cw_lock_kind kind, uintptr_t pc);
/* The lock at addr is gone (destroy); `held` when it was still locked: misuse. */
void cw_lock_destroyed(cw_thread *t, uintptr_t addr, cw_lock_kind kind, bool held, uintptr_t pc);

/* The memory of the lock at addr was released (free, munmap): it is no lock
 * any more.  held_elsewhere: another thread held it (reported): its unlock or
 * exit with it is no second finding. */
void cw_lock_forgotten(cw_thread *t, uintptr_t addr, bool held_elsewhere);

/* Semaphores used as locks. */
void cw_semaphore_created(cw_thread *t, uintptr_t addr, unsigned value, uintptr_t pc);
void cw_semaphore_taken(cw_thread *t, uintptr_t addr, cw_acquire_mode mode, uintptr_t pc);
void cw_semaphore_posted(cw_thread *t, uintptr_t addr);
/* A trywait found it taken (CPython does this before every blocking acquire). */
void cw_semaphore_busy(cw_thread *t, uintptr_t addr);
/* Does a post of the semaphore at addr order what follows the wait that
 * takes it (happens-before, races/happens_before.h)?  Always, but in
 * CPython, where only the program's own locks do: Lock, RLock and those
 * inside Condition, Event, Semaphore, Barrier, Queue and Thread (start,
 * join).  Not the interpreter's own semaphores (made with no Python frame:
 * no type), not Condition.wait's waiters (the Condition's lock orders
 * notify -> wait), not the runtime's bookkeeping (CW_LOCK_INTERNAL): any of
 * these would order threads by when the scheduler ran them. */
bool cw_semaphore_orders(uintptr_t addr);

/* fork(): the graph lock must not be held by a thread that does not exist in the child. */
void cw_events_before_fork(void);
void cw_events_after_fork(void);
/* In the child, the forking thread's semaphore holds end.  CPython, where
 * semaphores are locks, takes some for the fork itself (the import lock up
 * to 3.12, the locks of os.register_at_fork handlers such as logging's) and
 * in the child makes new locks in their place, leaving the old ones taken
 * forever; a semaphore has no owner, so concwatch cannot tell such an
 * abandoned lock from one really held.  Counted as held, they would order
 * every lock the child takes after them, against orders inherited from the
 * parent: false cycles.  (Who took a semaphore last is kept for the hang
 * report; mutexes, which the child's thread really owns, stay held.) */
void cw_events_after_fork_child(cw_thread *t);

#endif

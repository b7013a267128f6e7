/*
 * What every interceptor does around the real call.
 *
 * ENTER decides whether this call is watched: not before the shim is
 * initialised, and not when the thread is already inside the shim (a lock
 * taken by libunwind, by our own allocations, or by a signal handler that
 * interrupted us) — those calls go straight to the real function.  While a
 * call is watched the thread's `depth` is raised so nested calls pass through.
 * errno is preserved across our bookkeeping: the program sees what the real
 * call set.
 *
 * The hot wrappers (mutex, rwlock, spinlock, semaphore) have a fast path: the
 * real call plus a few loads and stores of the calling thread's own state,
 * entered after ONE test (cw_fast_enter: the thread is known and its `gate`
 * is 0, i.e. it is not inside the shim and its process needs no per-call
 * check), with everything else out of line in cold functions that the fast
 * path jumps to: the general path (first call of a thread, calls from inside
 * the shim, CPython, happens-before clocks being kept, an owner locking again,
 * an unusual result), nested acquisitions, reports.  So the fast path keeps
 * no registers of its own and the unlocks end in a jump to the real unlock.
 */
#ifndef CW_INTERCEPTOR_H
#define CW_INTERCEPTOR_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "real_functions.h"
#include "common/shim_health.h"
#include "events/lock_events.h"
#include "events/thread_state.h"
#include "events/wait_objects.h"
#include "races/happens_before.h"

/* Hidden: the shim's own globals are read on every call; hidden visibility
 * lets them be addressed directly instead of through the GOT. */
#define CW_HIDDEN __attribute__((visibility("hidden")))

/* cw_shim_ready (common/shim_health.h): 0 before start-up and once the shim
 * turned itself off after an internal error. */

/* The thread to record for, or NULL when this call must just be forwarded. */
static inline cw_thread *cw_enter(void)
{
    if (__builtin_expect(!atomic_load_explicit(&cw_shim_ready, memory_order_relaxed), 0))
        return NULL;
    cw_thread *t = cw_thread_self();
    if (__builtin_expect(!t || t->depth, 0))
        return NULL;
    if (__builtin_expect(t->slow & CW_SLOW_UNREADY, 0))
        t->slow = cw_thread_slow_default | (t->slow & CW_SLOW_FORK_CHILD);   /* attached before start-up ended: now as any thread */
    t->depth++;
    return t;
}

static inline void cw_leave(cw_thread *t) { t->depth--; }

/* The fast paths' entry: the calling thread when this call may take the
 * fast path (it must then set depth = 1 for as long as it records, and back
 * to 0), NULL when it must take the general path.  Only set up threads of a
 * ready shim have cw_tls_self (the main thread's is set just before
 * cw_shim_ready, with nothing intercepted in between). */
static inline cw_thread *cw_fast_enter(void)
{
    cw_thread *t = cw_tls_self;
    return __builtin_expect(t != NULL && t->gate == 0, 1) ? t : NULL;
}

/* The real function on a fast path: resolved, since the shim is ready. */
#define REAL_READY(name) (cw_real_##name)

/* CPython's own pthread locks (the GIL's mutex and condvars, interpreter
 * internals) are called from the interpreter's code: they are not the
 * program's locks, never belong in a finding, and are by far the most
 * frequent calls in a Python program.  [lo, hi) is the interpreter's code;
 * empty in other programs. */
extern CW_HIDDEN uintptr_t cw_interp_lo, cw_interp_hi;

static inline cw_thread *cw_enter_from(uintptr_t pc)
{
    if (__builtin_expect(pc - cw_interp_lo < cw_interp_hi - cw_interp_lo, 0))
        return NULL;
    return cw_enter();
}

#define CW_CALLER_PC() ((uintptr_t)__builtin_return_address(0))

/* Looks up what the semaphore interceptors need from other runtimes (TSan). */
void cw_semaphores_init(void);

/* The hang watcher reads this: the thread sits in an intercepted wait on addr. */
void cw_watcher_start_once(void);

static inline void cw_wait_begin(cw_thread *t, const void *addr, cw_lock_kind kind, bool timed, uintptr_t pc)
{
    if (!timed)
        cw_watcher_start_once();   /* a single-threaded program can hang too */
    atomic_store_explicit(&t->wait.kind, (uint32_t)kind | (timed ? CW_WAIT_TIMED : 0), memory_order_relaxed);
    atomic_store_explicit(&t->wait.pc, pc, memory_order_relaxed);
    t->wait.seq++;
    atomic_store_explicit(&t->wait.addr, (uintptr_t)addr, memory_order_release);
}

/* The same, for waits that only another thread can end (a mutex): no need to
 * start the watcher, which pthread_create already started.  Marked before
 * the real call even if it will not block: it is four plain stores (x86),
 * cheaper than a trylock first, and the watcher only believes waits it sees
 * unchanged over time. */
static inline void cw_wait_mark(cw_thread *t, const void *addr, cw_lock_kind kind, bool timed, uintptr_t pc)
{
    atomic_store_explicit(&t->wait.kind, (uint32_t)kind | (timed ? CW_WAIT_TIMED : 0), memory_order_relaxed);
    atomic_store_explicit(&t->wait.pc, pc, memory_order_relaxed);
    t->wait.seq++;
    atomic_store_explicit(&t->wait.addr, (uintptr_t)addr, memory_order_release);
}

static inline void cw_wait_end(cw_thread *t)
{
    atomic_store_explicit(&t->wait.addr, 0, memory_order_release);
}

/* For waits that are cancellation points (pthread_cleanup_push around the
 * real call): cancelled there, the thread leaves the wait and the shim, so
 * that the program's cleanup handlers are recorded like any other calls. */
static inline void cw_wait_cancelled(void *thread)
{
    cw_wait_end(thread);
    cw_leave(thread);
}

/* Happens-before edges for the race checks (races/happens_before.h), kept
 * only while they keep clocks: on the fast path, one load and a branch. */
static inline void cw_order_acquire(const void *obj)
{
    if (cw_hb_enabled())
        cw_hb_acquire(obj);
}

static inline void cw_order_release(const void *obj)
{
    if (cw_hb_enabled())
        cw_hb_release(obj);
}

#endif

#define _GNU_SOURCE
/*
 * pthread mutexes, every type (normal, errorcheck, recursive, adaptive) and
 * static initialisers.
 *
 * glibc records the owner's tid in every mutex (__data.__owner) and the type
 * in __data.__kind: we read both rather than keep a second copy, so a
 * re-acquisition by the owner and an unlock by a non-owner are caught even for
 * locks taken before the shim saw them.
 *
 * The lock/unlock fast path makes no system call, so errno needs no saving
 * here; the out-of-line slow paths (new edges, stack capture, reports) keep
 * errno themselves.
 *
 * lock, trylock and unlock have a fast path (see interceptor.h): lock is the
 * real call between four stores marking the wait and one clearing it, then
 * four stores for the hold; unlock pops the hold and jumps to the real
 * unlock.  Everything else is in the cold general paths below them.
 */
#include <errno.h>
#include <pthread.h>

#include "interceptor.h"

#define PSHARED_BIT 128   /* glibc's PTHREAD_MUTEX_PSHARED_BIT in __kind */

/* EOWNERDEAD (a robust mutex whose owner died) also hands the mutex over. */
static inline bool acquired(int rc)
{
    return rc == 0 || __builtin_expect(rc == EOWNERDEAD, 0);
}

static inline int mutex_type(const pthread_mutex_t *m)
{
    return m->__data.__kind & 3;   /* glibc's PTHREAD_MUTEX_KIND_MASK_NP */
}

/* The owner re-acquires: only a recursive mutex allows it. */
static void check_reacquire(cw_thread *t, pthread_mutex_t *m, bool timed, uintptr_t pc)
{
    if (__builtin_expect(m->__data.__owner != t->tid, 1))
        return;
    int type = mutex_type(m);
    if (type == PTHREAD_MUTEX_RECURSIVE_NP)
        return;
    /* errorcheck mutexes fail with EDEADLK and timed waits give up: both are
     * reported but the program goes on. */
    bool hangs = type != PTHREAD_MUTEX_ERRORCHECK_NP && !timed;
    cw_self_deadlock(t, (uintptr_t)m, CW_KIND_MUTEX, hangs, pc);
}

__attribute__((noinline, cold)) static int init_general(pthread_mutex_t *m, const pthread_mutexattr_t *attr,
                                                       int rc, uintptr_t pc)
{
    cw_thread *t = cw_enter();
    if (!t)
        return rc;
    int saved = errno;
    int robust = PTHREAD_MUTEX_STALLED;
    if (rc == 0) {
        cw_lock_created(t, (uintptr_t)m, CW_KIND_MUTEX, pc);
        if (attr && pthread_mutexattr_getrobust(attr, &robust) == 0 && robust == PTHREAD_MUTEX_ROBUST)
            cw_lock_robust((uintptr_t)m);
    }
    errno = saved;
    cw_leave(t);
    return rc;
}

/* Default attributes, initialised: the new lock is noted (see
 * cw_lock_created: no graph work unless a lock at that address had taken
 * part in nesting; what can set errno there keeps it). */
int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
    int rc = REAL(pthread_mutex_init)(m, attr);
    uintptr_t pc = CW_CALLER_PC();
    cw_thread *t = cw_fast_enter();
    if (__builtin_expect(!t || rc != 0 || attr != NULL, 0))
        return init_general(m, attr, rc, pc);
    t->depth = 1;
    cw_lock_created(t, (uintptr_t)m, CW_KIND_MUTEX, pc);
    t->depth = 0;
    return 0;
}

__attribute__((noinline, cold)) static int destroy_general(pthread_mutex_t *m, uintptr_t pc)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_mutex_destroy)(m);
    bool locked = m->__data.__lock != 0;
    cw_lock_destroyed(t, (uintptr_t)m, CW_KIND_MUTEX, locked, pc);
    int rc = REAL(pthread_mutex_destroy)(m);
    cw_leave(t);
    return rc;
}

/* An unlocked mutex: forget it, then jump to the real destroy. */
int pthread_mutex_destroy(pthread_mutex_t *m)
{
    uintptr_t pc = CW_CALLER_PC();
    cw_thread *t = cw_fast_enter();
    if (__builtin_expect(!t || m->__data.__lock != 0, 0))
        return destroy_general(m, pc);
    t->depth = 1;
    cw_lock_destroyed(t, (uintptr_t)m, CW_KIND_MUTEX, false, pc);
    t->depth = 0;
    return REAL_READY(pthread_mutex_destroy)(m);
}

/* glibc marks a destroyed mutex (its kind becomes -1) and fails every lock
 * of it with EINVAL: out of line, off the fast path. */
__attribute__((noinline, cold)) static void check_invalid(cw_thread *t, pthread_mutex_t *m, int rc, uintptr_t pc)
{
    if (rc == EINVAL) {
        int saved = errno;
        cw_lock_invalid(t, (uintptr_t)m, pc);
        errno = saved;
    }
}

/* In the child of a fork, whose only thread may wait on a process-shared
 * mutex held by another process: nothing started the hang watcher here (a
 * thread creation or a blocking wait of another kind does); the first lock
 * of a process-shared mutex does.  Checked only in a fork's child. */
__attribute__((noinline, cold)) static void lock_in_fork_child(cw_thread *t, pthread_mutex_t *m)
{
    if (m->__data.__kind & PSHARED_BIT) {
        cw_watcher_start_once();
        t->fork_child = 0;
        __atomic_fetch_and(&t->slow, ~CW_SLOW_FORK_CHILD, __ATOMIC_RELAXED);   /* fast paths again */
    }
}

/* The general paths: what the wrappers did before they had fast paths, for
 * every call the fast paths leave out. */
__attribute__((noinline, cold)) static int lock_general(pthread_mutex_t *m, uintptr_t pc)
{
    cw_thread *t = cw_enter_from(pc);
    if (!t)
        return REAL(pthread_mutex_lock)(m);
    check_reacquire(t, m, false, pc);
    if (__builtin_expect(t->fork_child, 0))
        lock_in_fork_child(t, m);
    cw_wait_mark(t, m, CW_KIND_MUTEX, false, pc);
    int rc = REAL(pthread_mutex_lock)(m);
    cw_wait_end(t);
    if (acquired(rc)) {
        cw_order_acquire(m);
        cw_acquired(t, (uintptr_t)m, CW_KIND_MUTEX, false, CW_ACQ_BLOCKING, pc);
    } else {
        check_invalid(t, m, rc, pc);
    }
    cw_leave(t);
    return rc;
}

__attribute__((noinline, cold)) static int trylock_general(pthread_mutex_t *m, uintptr_t pc)
{
    cw_thread *t = cw_enter_from(pc);
    if (!t)
        return REAL(pthread_mutex_trylock)(m);
    int rc = REAL(pthread_mutex_trylock)(m);
    if (acquired(rc)) {
        cw_order_acquire(m);
        cw_acquired(t, (uintptr_t)m, CW_KIND_MUTEX, false, CW_ACQ_TRY, pc);
    } else {
        check_invalid(t, m, rc, pc);
    }
    cw_leave(t);
    return rc;
}

/* The rest of a fast path's lock whose call returned something else than 0
 * (EOWNERDEAD also hands the mutex over; the rest are failures), or while
 * happens-before clocks are kept (the race checks' acquire hook). */
__attribute__((noinline, cold)) static int lock_result(cw_thread *t, pthread_mutex_t *m, int rc,
                                                      cw_acquire_mode mode, uintptr_t pc)
{
    if (acquired(rc)) {
        cw_order_acquire(m);
        cw_acquired(t, (uintptr_t)m, CW_KIND_MUTEX, false, mode, pc);
    } else {
        check_invalid(t, m, rc, pc);   /* a destroyed mutex (EINVAL) */
    }
    cw_leave(t);
    return rc;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
    uintptr_t pc = CW_CALLER_PC();
    cw_thread *t = cw_fast_enter();
    /* The owner locking again: the general path's check_reacquire.  A
     * fork's child until it locks a process-shared mutex has
     * CW_SLOW_FORK_CHILD in its gate (lock_in_fork_child). */
    if (__builtin_expect(!t || m->__data.__owner == t->tid, 0))
        return lock_general(m, pc);
    t->depth = 1;
    cw_wait_mark(t, m, CW_KIND_MUTEX, false, pc);
    int rc = REAL_READY(pthread_mutex_lock)(m);
    /* Reloaded from the wait marks rather than kept: only t lives across
     * the call. */
    m = (pthread_mutex_t *)atomic_load_explicit(&t->wait.addr, memory_order_relaxed);
    pc = atomic_load_explicit(&t->wait.pc, memory_order_relaxed);
    cw_wait_end(t);
    if (__builtin_expect(rc != 0 || cw_hb_enabled(), 0))
        return lock_result(t, m, rc, CW_ACQ_BLOCKING, pc);
    return cw_fast_acquired(t, (uintptr_t)m, CW_KIND_MUTEX, false, CW_ACQ_BLOCKING, pc);
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
    uintptr_t pc = CW_CALLER_PC();
    cw_thread *t = cw_fast_enter();
    if (__builtin_expect(!t, 0))
        return trylock_general(m, pc);
    t->depth = 1;
    int rc = REAL_READY(pthread_mutex_trylock)(m);
    if (__builtin_expect(rc != 0 || cw_hb_enabled(), 0))
        return lock_result(t, m, rc, CW_ACQ_TRY, pc);
    return cw_fast_acquired(t, (uintptr_t)m, CW_KIND_MUTEX, false, CW_ACQ_TRY, pc);
}

static int timed_lock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime,
                      bool has_clock, uintptr_t pc)
{
    cw_thread *t = cw_enter_from(pc);
    if (!t)
        return has_clock ? REAL(pthread_mutex_clocklock)(m, clock, abstime)
                         : REAL(pthread_mutex_timedlock)(m, abstime);
    check_reacquire(t, m, true, pc);
    int rc = REAL(pthread_mutex_trylock)(m);
    if (rc == EBUSY) {
        cw_wait_begin(t, m, CW_KIND_MUTEX, true, pc);
        rc = has_clock ? REAL(pthread_mutex_clocklock)(m, clock, abstime)
                       : REAL(pthread_mutex_timedlock)(m, abstime);
        cw_wait_end(t);
    }
    int saved = errno;
    if (acquired(rc)) {
        cw_order_acquire(m);
        cw_acquired(t, (uintptr_t)m, CW_KIND_MUTEX, false, CW_ACQ_TIMED, pc);
    } else {
        check_invalid(t, m, rc, pc);
    }
    errno = saved;
    cw_leave(t);
    return rc;
}

int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    return timed_lock(m, CLOCK_REALTIME, abstime, false, CW_CALLER_PC());
}

int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime)
{
    return timed_lock(m, clock, abstime, true, CW_CALLER_PC());
}

__attribute__((noinline, cold)) static int unlock_general(pthread_mutex_t *m, uintptr_t pc)
{
    /* No interpreter-range check: an unlock of a lock that was never
     * recorded finds nothing to release, and its owner is the caller. */
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_mutex_unlock)(m);
    int owner = m->__data.__owner;
    if (__builtin_expect(owner == t->tid, 1))
        cw_released(t, (uintptr_t)m);
    else
        cw_unlock_misuse(t, (uintptr_t)m, CW_KIND_MUTEX, owner, pc);
    cw_order_release(m);
    int rc = REAL(pthread_mutex_unlock)(m);
    cw_leave(t);
    return rc;
}

/* Out of line: the owner unlocks its hold below the most recent one (two
 * locks released in the order they were taken: memcached's item and LRU
 * locks).  The moved entry is not a single store: depth guards it. */
__attribute__((noinline)) static int unlock_second(cw_thread *t, pthread_mutex_t *m, uint32_t n)
{
    t->depth = 1;
    t->held[n - 2] = t->held[n - 1];
    t->nheld = n - 1;
    t->depth = 0;
    return REAL_READY(pthread_mutex_unlock)(m);
}

/* Out of line: the fast unlock while happens-before clocks are kept (the
 * race checks' release hook, before the real unlock). */
__attribute__((noinline)) static int unlock_clocked(cw_thread *t, pthread_mutex_t *m, uint32_t n)
{
    t->depth = 1;
    cw_hb_release(m);
    if (t->held[n - 1].addr != (uintptr_t)m)
        t->held[n - 2] = t->held[n - 1];   /* the hold below the most recent (see unlock_second) */
    t->nheld = n - 1;
    t->depth = 0;
    return REAL_READY(pthread_mutex_unlock)(m);
}

/* The owner unlocks its most recent hold: pop it and jump to the real
 * unlock.  Without raising depth: a signal handler running in between sees
 * the list before or after the pop, both whole.  The happens-before hook is
 * its one test here; while clocks are kept, unlock_clocked. */
int pthread_mutex_unlock(pthread_mutex_t *m)
{
    cw_thread *t = cw_fast_enter();
    uint32_t n;
    if (__builtin_expect(!t || m->__data.__owner != t->tid || (n = t->nheld) == 0, 0))
        goto general;
    if (__builtin_expect(t->held[n - 1].addr != (uintptr_t)m, 0)) {
        if (n < 2 || t->held[n - 2].addr != (uintptr_t)m)
            goto general;
        if (cw_hb_enabled())
            return unlock_clocked(t, m, n);
        return unlock_second(t, m, n);
    }
    if (__builtin_expect(cw_hb_enabled(), 0))
        return unlock_clocked(t, m, n);
    t->nheld = n - 1;
    return REAL_READY(pthread_mutex_unlock)(m);
general:
    return unlock_general(m, CW_CALLER_PC());
}

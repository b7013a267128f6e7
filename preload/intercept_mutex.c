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

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
    int rc = REAL(pthread_mutex_init)(m, attr);
    cw_thread *t = cw_enter();
    if (!t)
        return rc;
    int saved = errno;
    int robust = PTHREAD_MUTEX_STALLED;
    if (rc == 0) {
        cw_lock_created(t, (uintptr_t)m, CW_KIND_MUTEX, CW_CALLER_PC());
        if (attr && pthread_mutexattr_getrobust(attr, &robust) == 0 && robust == PTHREAD_MUTEX_ROBUST)
            cw_lock_robust((uintptr_t)m);
    }
    errno = saved;
    cw_leave(t);
    return rc;
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_mutex_destroy)(m);
    bool locked = m->__data.__lock != 0;
    cw_lock_destroyed(t, (uintptr_t)m, CW_KIND_MUTEX, locked, CW_CALLER_PC());
    int rc = REAL(pthread_mutex_destroy)(m);
    cw_leave(t);
    return rc;
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
    }
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
    uintptr_t pc = CW_CALLER_PC();
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

int pthread_mutex_trylock(pthread_mutex_t *m)
{
    cw_thread *t = cw_enter_from(CW_CALLER_PC());
    if (!t)
        return REAL(pthread_mutex_trylock)(m);
    int rc = REAL(pthread_mutex_trylock)(m);
    if (acquired(rc)) {
        cw_order_acquire(m);
        cw_acquired(t, (uintptr_t)m, CW_KIND_MUTEX, false, CW_ACQ_TRY, CW_CALLER_PC());
    } else {
        check_invalid(t, m, rc, CW_CALLER_PC());
    }
    cw_leave(t);
    return rc;
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

int pthread_mutex_unlock(pthread_mutex_t *m)
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
        cw_unlock_misuse(t, (uintptr_t)m, CW_KIND_MUTEX, owner, CW_CALLER_PC());
    cw_order_release(m);
    int rc = REAL(pthread_mutex_unlock)(m);
    cw_leave(t);
    return rc;
}

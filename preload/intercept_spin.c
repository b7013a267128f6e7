#define _GNU_SOURCE
/*
 * pthread spinlocks: an int with no owner recorded, so ownership comes from
 * the thread's own held list.  A spinlock re-taken by its holder spins forever.
 *
 * lock, trylock and unlock have a fast path (see interceptor.h) for a thread
 * that holds nothing else: the real trylock then four stores for the hold;
 * an unlock pops its hold and jumps to the real unlock.
 */
#include <errno.h>
#include <pthread.h>

#include "interceptor.h"

/* glibc's x86 spinlock counts down from 1 (free) to 0 or below (taken); its
 * generic one is 0 when free. */
static inline bool spin_is_locked(const pthread_spinlock_t *s)
{
    int v = *(const volatile int *)s;
#if defined(__x86_64__) || defined(__i386__)
    return v <= 0;
#else
    return v != 0;
#endif
}

int pthread_spin_init(pthread_spinlock_t *s, int pshared)
{
    int rc = REAL(pthread_spin_init)(s, pshared);
    cw_thread *t = cw_enter();
    if (!t)
        return rc;
    if (rc == 0)
        cw_lock_created(t, (uintptr_t)s, CW_KIND_SPINLOCK, CW_CALLER_PC());
    cw_leave(t);
    return rc;
}

int pthread_spin_destroy(pthread_spinlock_t *s)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_spin_destroy)(s);
    cw_lock_destroyed(t, (uintptr_t)s, CW_KIND_SPINLOCK, spin_is_locked(s), CW_CALLER_PC());
    int rc = REAL(pthread_spin_destroy)(s);
    cw_leave(t);
    return rc;
}

__attribute__((noinline, cold)) static int lock_general(pthread_spinlock_t *s, uintptr_t pc)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_spin_lock)(s);
    if (cw_held_index(t, (uintptr_t)s) >= 0)
        cw_self_deadlock(t, (uintptr_t)s, CW_KIND_SPINLOCK, true, pc);
    int rc = REAL(pthread_spin_trylock)(s);
    if (rc == EBUSY) {
        cw_wait_begin(t, (const void *)(uintptr_t)s, CW_KIND_SPINLOCK, false, pc);
        rc = REAL(pthread_spin_lock)(s);
        cw_wait_end(t);
    }
    if (rc == 0) {
        cw_order_acquire((const void *)s);
        cw_acquired(t, (uintptr_t)s, CW_KIND_SPINLOCK, false, CW_ACQ_BLOCKING, pc);
    }
    cw_leave(t);
    return rc;
}

__attribute__((noinline, cold)) static int trylock_general(pthread_spinlock_t *s, uintptr_t pc)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_spin_trylock)(s);
    int rc = REAL(pthread_spin_trylock)(s);
    if (rc == 0) {
        cw_order_acquire((const void *)s);
        cw_acquired(t, (uintptr_t)s, CW_KIND_SPINLOCK, false, CW_ACQ_TRY, pc);
    }
    cw_leave(t);
    return rc;
}

__attribute__((noinline, cold)) static int unlock_general(pthread_spinlock_t *s, uintptr_t pc)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_spin_unlock)(s);
    if (cw_held_index(t, (uintptr_t)s) >= 0)
        cw_released(t, (uintptr_t)s);
    else if (!spin_is_locked(s))
        cw_unlock_misuse(t, (uintptr_t)s, CW_KIND_SPINLOCK, 0, pc);
    cw_order_release((const void *)s);
    int rc = REAL(pthread_spin_unlock)(s);
    cw_leave(t);
    return rc;
}

/* Holding nothing else (so not re-taking it), the lock free at the first
 * try, no clocks kept: the real trylock and the hold.  A busy lock takes the
 * general path (its own try, then the marked wait). */
int pthread_spin_lock(pthread_spinlock_t *s)
{
    uintptr_t pc = CW_CALLER_PC();
    cw_thread *t = cw_fast_enter();
    if (__builtin_expect(!t || t->nheld != 0 || cw_hb_enabled(), 0))
        return lock_general(s, pc);
    t->depth = 1;
    if (__builtin_expect(REAL_READY(pthread_spin_trylock)(s) != 0, 0)) {
        t->depth = 0;
        return lock_general(s, pc);
    }
    return cw_fast_acquired(t, (uintptr_t)s, CW_KIND_SPINLOCK, false, CW_ACQ_BLOCKING, pc);
}

int pthread_spin_trylock(pthread_spinlock_t *s)
{
    uintptr_t pc = CW_CALLER_PC();
    cw_thread *t = cw_fast_enter();
    if (__builtin_expect(!t || cw_hb_enabled(), 0))
        return trylock_general(s, pc);
    t->depth = 1;
    int rc = REAL_READY(pthread_spin_trylock)(s);
    if (rc != 0) {
        t->depth = 0;
        return rc;
    }
    return cw_fast_acquired(t, (uintptr_t)s, CW_KIND_SPINLOCK, false, CW_ACQ_TRY, pc);
}

/* The holder unlocks its most recent hold: pop it, jump to the real unlock
 * (see pthread_mutex_unlock). */
int pthread_spin_unlock(pthread_spinlock_t *s)
{
    cw_thread *t = cw_fast_enter();
    uint32_t n;
    if (__builtin_expect(!t || cw_hb_enabled() || (n = t->nheld) == 0 || t->held[n - 1].addr != (uintptr_t)s, 0))
        return unlock_general(s, CW_CALLER_PC());
    t->nheld = n - 1;
    return REAL_READY(pthread_spin_unlock)(s);
}

#define _GNU_SOURCE
/*
 * pthread spinlocks: an int with no owner recorded, so ownership comes from
 * the thread's own held list.  A spinlock re-taken by its holder spins forever.
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

int pthread_spin_lock(pthread_spinlock_t *s)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_spin_lock)(s);
    uintptr_t pc = CW_CALLER_PC();
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

int pthread_spin_trylock(pthread_spinlock_t *s)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_spin_trylock)(s);
    int rc = REAL(pthread_spin_trylock)(s);
    if (rc == 0) {
        cw_order_acquire((const void *)s);
        cw_acquired(t, (uintptr_t)s, CW_KIND_SPINLOCK, false, CW_ACQ_TRY, CW_CALLER_PC());
    }
    cw_leave(t);
    return rc;
}

int pthread_spin_unlock(pthread_spinlock_t *s)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_spin_unlock)(s);
    if (cw_held_index(t, (uintptr_t)s) >= 0)
        cw_released(t, (uintptr_t)s);
    else if (!spin_is_locked(s))
        cw_unlock_misuse(t, (uintptr_t)s, CW_KIND_SPINLOCK, 0, CW_CALLER_PC());
    cw_order_release((const void *)s);
    int rc = REAL(pthread_spin_unlock)(s);
    cw_leave(t);
    return rc;
}

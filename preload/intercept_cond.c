#define _GNU_SOURCE
/*
 * Condition variables: the wait releases the mutex and takes it again before
 * returning.  Taking it again is a blocking acquire made while the thread may
 * hold other locks, so it feeds the lock-order graph like any other.
 */
#include <errno.h>
#include <pthread.h>

#include "interceptor.h"

static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                     const struct timespec *abstime, int variant, uintptr_t pc)
{
    cw_thread *t = cw_enter_from(pc);
    int rc;
#define REAL_WAIT()                                                               \
    (variant == 0   ? REAL(pthread_cond_wait)(c, m)                               \
     : variant == 1 ? REAL(pthread_cond_timedwait)(c, m, abstime)                 \
                    : REAL(pthread_cond_clockwait)(c, m, clock, abstime))
    if (!t)
        return REAL_WAIT();
    cw_released(t, (uintptr_t)m);
    cw_wait_begin(t, c, CW_KIND_CONDVAR, variant != 0, pc);
    rc = REAL_WAIT();
    cw_wait_end(t);
#undef REAL_WAIT
    int saved = errno;
    cw_acquired(t, (uintptr_t)m, CW_KIND_MUTEX, false, CW_ACQ_BLOCKING, pc);
    errno = saved;
    cw_leave(t);
    return rc;
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    return cond_wait(c, m, CLOCK_REALTIME, NULL, 0, CW_CALLER_PC());
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
    return cond_wait(c, m, CLOCK_REALTIME, abstime, 1, CW_CALLER_PC());
}

int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                           const struct timespec *abstime)
{
    return cond_wait(c, m, clock, abstime, 2, CW_CALLER_PC());
}

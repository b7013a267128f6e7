#define _GNU_SOURCE
/* Barriers: a wait the hang watcher must know about, and an order: every
 * thread's past before the barrier happens before every thread's future
 * after it (each arrival releases into the barrier's clock before the wait,
 * each departure acquires it; nobody leaves before all have arrived).
 * Init, destroy and arrivals feed events/wait_objects.h: a barrier destroyed
 * or initialised again while threads wait at it, initialised twice, or
 * waited on after its destroy. */
#include <errno.h>
#include <pthread.h>

#include "interceptor.h"

int pthread_barrier_wait(pthread_barrier_t *b)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_barrier_wait)(b);
    uintptr_t pc = CW_CALLER_PC();
    cw_barrier_arriving(t, (uintptr_t)b, pc);
    cw_order_release(b);
    cw_wait_begin(t, b, CW_KIND_BARRIER, false, pc);
    int rc = REAL(pthread_barrier_wait)(b);
    cw_wait_end(t);
    cw_order_acquire(b);
    cw_leave(t);
    return rc;
}

int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr, unsigned count)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_barrier_init)(b, attr, count);
    int saved = errno;
    if (count > 0)
        cw_barrier_initialising(t, (uintptr_t)b, count, CW_CALLER_PC());
    errno = saved;
    int rc = REAL(pthread_barrier_init)(b, attr, count);
    cw_leave(t);
    return rc;
}

/* glibc's destroy waits for the threads in the barrier to leave: a wait for
 * the hang watcher. */
int pthread_barrier_destroy(pthread_barrier_t *b)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_barrier_destroy)(b);
    uintptr_t pc = CW_CALLER_PC();
    int saved = errno;
    cw_barrier_destroying(t, (uintptr_t)b, pc);
    errno = saved;
    cw_wait_mark(t, b, CW_KIND_BARRIER, false, pc);   /* only other threads can make it block: no watcher start */
    int rc = REAL(pthread_barrier_destroy)(b);
    cw_wait_end(t);
    cw_leave(t);
    return rc;
}

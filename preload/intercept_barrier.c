#define _GNU_SOURCE
/* Barriers: a wait the hang watcher must know about, and an order: every
 * thread's past before the barrier happens before every thread's future
 * after it (each arrival releases into the barrier's clock before the wait,
 * each departure acquires it; nobody leaves before all have arrived). */
#include <pthread.h>

#include "interceptor.h"

int pthread_barrier_wait(pthread_barrier_t *b)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_barrier_wait)(b);
    cw_order_release(b);
    cw_wait_begin(t, b, CW_KIND_BARRIER, false, CW_CALLER_PC());
    int rc = REAL(pthread_barrier_wait)(b);
    cw_wait_end(t);
    cw_order_acquire(b);
    cw_leave(t);
    return rc;
}

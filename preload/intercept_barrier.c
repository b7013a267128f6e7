#define _GNU_SOURCE
/* Barriers: a wait the hang watcher must know about. */
#include <pthread.h>

#include "interceptor.h"

int pthread_barrier_wait(pthread_barrier_t *b)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_barrier_wait)(b);
    cw_wait_begin(t, b, CW_KIND_BARRIER, false, CW_CALLER_PC());
    int rc = REAL(pthread_barrier_wait)(b);
    cw_wait_end(t);
    cw_leave(t);
    return rc;
}

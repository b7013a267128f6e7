#define _GNU_SOURCE
/*
 * Condition variables: the wait releases the mutex and takes it again before
 * returning.  Taking it again is a blocking acquire made while the thread may
 * hold other locks, so it feeds the lock-order graph like any other.
 * Waits, wake-ups, init and destroy also feed events/wait_objects.h: the
 * misuses of a condition (waiting with a mutex not held, two mutexes on one
 * condition, destroying it while a thread waits on it).
 */
#include <errno.h>
#include <pthread.h>

#include "interceptor.h"

typedef struct wait_context {
    cw_thread *t;
    pthread_cond_t *c;
    pthread_mutex_t *m;
    uintptr_t pc;
} wait_context;

/* The wait is a cancellation point.  Cancelled in it, the thread has the
 * mutex again (glibc takes it before running the cleanup handlers), as after
 * a normal return, and leaves the shim so that the program's own cleanup
 * handlers (which usually unlock it) are recorded. */
static void cond_wait_cancelled(void *arg)
{
    wait_context *w = arg;
    cw_wait_end(w->t);
    cw_cond_wait_end(w->t, (uintptr_t)w->c);
    cw_order_acquire(w->m);
    cw_acquired(w->t, (uintptr_t)w->m, CW_KIND_MUTEX, false, CW_ACQ_BLOCKING, w->pc);
    cw_leave(w->t);
}

/* Apart, so that no variable of the caller lives across the cleanup's setjmp. */
__attribute__((noinline)) static int cancellable_wait(wait_context *ctx, pthread_cond_t *c, clockid_t clock,
                                                      const struct timespec *abstime, int variant)
{
    int rc;
    pthread_cleanup_push(cond_wait_cancelled, ctx);
    rc = variant == 0   ? REAL(pthread_cond_wait)(c, ctx->m)
         : variant == 1 ? REAL(pthread_cond_timedwait)(c, ctx->m, abstime)
                        : REAL(pthread_cond_clockwait)(c, ctx->m, clock, abstime);
    pthread_cleanup_pop(0);
    return rc;
}

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
    cw_cond_wait_begin(t, (uintptr_t)c, (uintptr_t)m, m->__data.__owner, variant != 0, pc);
    cw_released(t, (uintptr_t)m);
    cw_order_release(m);   /* the wait unlocks it */
    cw_wait_begin(t, c, CW_KIND_CONDVAR, variant != 0, pc);
    wait_context ctx = { t, c, m, pc };
    rc = cancellable_wait(&ctx, c, clock, abstime, variant);
    cw_wait_end(t);
    cw_cond_wait_end(t, (uintptr_t)c);
#undef REAL_WAIT
    int saved = errno;
    cw_order_acquire(c);   /* after a signal or broadcast, what the signaller did before it */
    cw_order_acquire(m);
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

/* Signalling orders what the signaller did before it before the woken
 * waiters' return (it may signal without holding the mutex). */
static int wake(pthread_cond_t *c, bool all, uintptr_t pc)
{
    cw_thread *t = cw_enter_from(pc);
    if (!t)
        return all ? REAL(pthread_cond_broadcast)(c) : REAL(pthread_cond_signal)(c);
    cw_order_release(c);
    int rc = all ? REAL(pthread_cond_broadcast)(c) : REAL(pthread_cond_signal)(c);
    cw_cond_woken((uintptr_t)c, all);   /* after the real call: see wait_objects.h */
    cw_leave(t);
    return rc;
}

int pthread_cond_signal(pthread_cond_t *c) { return wake(c, false, CW_CALLER_PC()); }
int pthread_cond_broadcast(pthread_cond_t *c) { return wake(c, true, CW_CALLER_PC()); }

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
    uintptr_t pc = CW_CALLER_PC();
    cw_thread *t = cw_enter_from(pc);
    int rc = REAL(pthread_cond_init)(c, attr);
    if (t) {
        int saved = errno;
        if (rc == 0)
            cw_cond_created(t, (uintptr_t)c, pc);
        errno = saved;
        cw_leave(t);
    }
    return rc;
}

/* glibc's destroy waits until every waiter has left: reported first when one
 * certainly sleeps, and a wait for the hang watcher either way. */
int pthread_cond_destroy(pthread_cond_t *c)
{
    uintptr_t pc = CW_CALLER_PC();
    cw_thread *t = cw_enter_from(pc);
    if (!t)
        return REAL(pthread_cond_destroy)(c);
    int saved = errno;
    cw_cond_destroying(t, (uintptr_t)c, pc);
    errno = saved;
    atomic_store_explicit(&t->wait.mutex, 0, memory_order_relaxed);   /* not a waiter of c */
    cw_wait_mark(t, c, CW_KIND_CONDVAR, false, pc);   /* only other threads can make it block: no watcher start */
    int rc = REAL(pthread_cond_destroy)(c);
    cw_wait_end(t);
    cw_leave(t);
    return rc;
}

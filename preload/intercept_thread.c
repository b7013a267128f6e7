#define _GNU_SOURCE
/*
 * Thread creation, join and exit.  Each new thread starts in our wrapper so
 * that the shim knows its parent and creation stack and can check, when it
 * ends, that it does not leave locks held.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "interceptor.h"
#include "events/helper_thread.h"
#include "races/race_sampler.h"
#include "stacks/stack_capture.h"

typedef struct thread_start {
    void *(*fn)(void *);
    void *arg;
    uint32_t parent;
    cw_stack_id stack;
    uint32_t race_ticket;      /* race_sampler.h */
} thread_start;

/* Runs when the thread is cancelled (or calls pthread_exit, already checked
 * there): the start routine never returns to the wrapper.  The interceptors
 * that are cancellation points have left the shim by now (their own cleanup);
 * a cancellation inside the shim anywhere else is not recorded. */
static void thread_unwound(void *arg)
{
    (void)arg;
    cw_thread *t = cw_tls_self;
    if (!t || t->depth)
        return;
    t->depth++;
    cw_thread_exiting(t, 0, true);
    cw_hb_thread_exit();
    cw_helper_thread_program_thread_ends();
    t->depth--;
}

static void *start_thread_wrapper(void *p)
{
    thread_start start = *(thread_start *)p;
    cw_thread *t = cw_thread_self();
    if (t && cw_hb_enabled()) {
        t->depth++;
        cw_hb_acquire_once(p);   /* what the parent did before pthread_create */
        t->depth--;
    }
    free(p);
    if (t) {
        t->start_routine = (uintptr_t)start.fn;
        t->parent = start.parent;
        t->create_stack = start.stack;
        cw_race_sampler_thread_started(start.race_ticket);
    }
    void *ret;
    pthread_cleanup_push(thread_unwound, NULL);
    ret = start.fn(start.arg);
    pthread_cleanup_pop(0);
    t = cw_tls_self;
    if (t && !t->depth) {
        t->depth++;
        cw_thread_exiting(t, 0, false);
        cw_hb_thread_exit();
        cw_helper_thread_program_thread_ends();
        t->depth--;
    }
    return ret;
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_create)(thread, attr, fn, arg);
    /* Before the thread exists: it must find the race backend chosen (the
     * software one is turned on by each thread for itself, at its start). */
    cw_race_sampler_start_once(REAL(pthread_create));
    thread_start *start = malloc(sizeof *start);
    int rc;
    if (!start) {
        rc = REAL(pthread_create)(thread, attr, fn, arg);
    } else {
        *start = (thread_start){ fn, arg, t->index, cw_thread_site_stack(t, CW_CALLER_PC()), 0 };
        /* The object goes to the race sampler before the thread can touch it. */
        start->race_ticket = cw_race_sampler_thread_arg(arg, t->index, start->stack);
        cw_order_release(start);
        rc = REAL(pthread_create)(thread, attr, start_thread_wrapper, start);
        if (rc != 0)
            free(start);
    }
    cw_watcher_start_once();
    cw_leave(t);
    return rc;
}

/* A cancellation point (see cw_wait_cancelled); apart, so that no variable
 * of the caller lives across the cleanup's setjmp. */
__attribute__((noinline)) static int cancellable_join(cw_thread *t, pthread_t thread, void **ret)
{
    int rc;
    pthread_cleanup_push(cw_wait_cancelled, t);
    rc = REAL(pthread_join)(thread, ret);
    pthread_cleanup_pop(0);
    return rc;
}

int pthread_join(pthread_t thread, void **ret)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_join)(thread, ret);
    cw_wait_begin(t, (void *)thread, CW_KIND_THREAD, false, CW_CALLER_PC());
    int rc = cancellable_join(t, thread, ret);
    cw_wait_end(t);
    if (rc == 0 && cw_hb_enabled())
        cw_hb_thread_joined(thread);
    cw_leave(t);
    return rc;
}

void pthread_exit(void *ret)
{
    cw_thread *t = cw_enter();
    if (t) {
        cw_thread_exiting(t, CW_CALLER_PC(), false);
        cw_hb_thread_exit();
        cw_helper_thread_program_thread_ends();
        cw_leave(t);
    }
    REAL(pthread_exit)(ret);
    __builtin_unreachable();
}

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
#include "race_sampler.h"
#include "../detector/stacks/stack_capture.h"

typedef struct thread_start {
    void *(*fn)(void *);
    void *arg;
    uint32_t parent;
    cw_stack_id stack;
} thread_start;

static void *start_thread_wrapper(void *p)
{
    thread_start start = *(thread_start *)p;
    free(p);
    cw_thread *t = cw_thread_self();
    if (t) {
        t->start_routine = (uintptr_t)start.fn;
        t->parent = start.parent;
        t->create_stack = start.stack;
        cw_race_sampler_thread_started();
    }
    void *ret = start.fn(start.arg);
    t = cw_tls_self;
    if (t && !t->depth) {
        t->depth++;
        cw_thread_exiting(t, 0);
        t->depth--;
    }
    return ret;
}

int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_create)(thread, attr, fn, arg);
    thread_start *start = malloc(sizeof *start);
    int rc;
    if (!start) {
        rc = REAL(pthread_create)(thread, attr, fn, arg);
    } else {
        *start = (thread_start){ fn, arg, t->index, cw_thread_site_stack(t, CW_CALLER_PC()) };
        rc = REAL(pthread_create)(thread, attr, start_thread_wrapper, start);
        if (rc != 0)
            free(start);
    }
    cw_watcher_start_once();
    cw_race_sampler_start_once(REAL(pthread_create));
    cw_leave(t);
    return rc;
}

int pthread_join(pthread_t thread, void **ret)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_join)(thread, ret);
    cw_wait_begin(t, (void *)thread, CW_KIND_THREAD, false, CW_CALLER_PC());
    int rc = REAL(pthread_join)(thread, ret);
    cw_wait_end(t);
    cw_leave(t);
    return rc;
}

void pthread_exit(void *ret)
{
    cw_thread *t = cw_enter();
    if (t) {
        cw_thread_exiting(t, CW_CALLER_PC());
        cw_leave(t);
    }
    REAL(pthread_exit)(ret);
    __builtin_unreachable();
}

#define _GNU_SOURCE
/*
 * Start-up of the shim inside the watched program, and fork handling.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>

#include "hang_watch.h"
#include "interceptor.h"
#include "record_writer.h"
#include "../detector/stacks/stack_capture.h"
#include "../detector/stacks/stack_depot.h"

atomic_int cw_shim_ready;
extern bool cw_trywait_is_acquire;

static void before_fork(void)
{
    cw_thread *t = cw_tls_self;
    if (t)
        t->depth++;
    cw_events_before_fork();
    cw_stack_depot_before_fork();
    cw_thread_registry_before_fork();
}

static void after_fork_parent(void)
{
    cw_thread_registry_after_fork_parent();
    cw_stack_depot_after_fork();
    cw_events_after_fork();
    cw_thread *t = cw_tls_self;
    if (t)
        t->depth--;
}

static void after_fork_child(void)
{
    cw_hang_watch_after_fork_child();   /* the watcher thread did not survive the fork */
    cw_thread_registry_after_fork_child();
    cw_stack_depot_after_fork();
    cw_events_after_fork();
    cw_thread *t = cw_tls_self;
    if (t)
        t->depth--;
}

__attribute__((constructor(101))) static void cw_shim_init(void)
{
    cw_real_functions_resolve();
    cw_record_writer_init();
    cw_stack_capture_init();
    cw_events_init();
    cw_trywait_is_acquire = dlsym(RTLD_DEFAULT, "Py_IsInitialized") != NULL;
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    cw_thread_self();   /* the main thread becomes T0 */
    atomic_store(&cw_shim_ready, 1);
}

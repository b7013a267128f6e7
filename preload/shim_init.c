#define _GNU_SOURCE
/*
 * Start-up of the shim inside the watched program, and fork handling.
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>

#include "interceptor.h"
#include "intercept_exec.h"
#include "shim_crash.h"
#include "common/code_map.h"
#include "common/shim_health.h"
#include "common/shim_flags.h"
#include "events/helper_thread.h"
#include "events/python_sites.h"
#include "events/record_writer.h"
#include "hangs/hang_watch.h"
#include "pyraces/py_race_install.h"
#include "races/happens_before.h"
#include "races/race_sampler.h"
#include "stacks/stack_capture.h"
#include "stacks/stack_depot.h"

uintptr_t cw_interp_lo, cw_interp_hi;

/* In a CPython process: the interpreter's code range (see cw_enter_from). */
static void find_interpreter(void)
{
    void *sym = dlsym(RTLD_DEFAULT, "Py_IsInitialized");
    const cw_code_range *r = sym ? cw_code_map_find_or_rescan((uintptr_t)sym) : NULL;
    if (r) {
        cw_interp_lo = r->lo;
        cw_interp_hi = r->hi;
    }
}

/* The shim is off: the fast paths, which look at each thread's own flags
 * rather than at cw_shim_ready, must stop recording too. */
static void set_slow_off(cw_thread *t, void *unused)
{
    (void)unused;
    __atomic_fetch_or(&t->slow, CW_SLOW_OFF, __ATOMIC_RELAXED);
}

static void every_thread_slow(void)
{
    __atomic_fetch_or(&cw_thread_slow_default, CW_SLOW_OFF, __ATOMIC_RELAXED);
    cw_thread_for_each(set_slow_off, NULL);
}

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

/* Only the forking thread lives on in the child: the shim's own threads are
 * gone, and so are the locks other threads held. */
static void after_fork_child(void)
{
    cw_shim_health_after_fork_child();
    cw_helper_threads_after_fork_child();
    cw_hang_watch_after_fork_child();
    cw_race_sampler_after_fork_child();
    cw_hb_after_fork_child();
    cw_py_races_after_fork_child();
    cw_thread_registry_after_fork_child();
    cw_stack_depot_after_fork();
    cw_events_after_fork();
    cw_thread *t = cw_tls_self;
    if (t) {
        cw_events_after_fork_child(t);
        t->depth--;
    }
}

__attribute__((constructor(101))) static void cw_shim_init(void)
{
    cw_shim_flags_read();
    cw_shim_health_init();
    cw_exec_init();
    cw_real_functions_resolve();
    cw_record_writer_init();
    cw_stack_capture_init();
    cw_events_init();
    cw_semaphores_init();
    cw_trywait_is_acquire = dlsym(RTLD_DEFAULT, "Py_IsInitialized") != NULL;
    if (cw_trywait_is_acquire && cw_python_sites_init())
        cw_py_races_init();
    find_interpreter();
    /* In CPython every call must first be told apart from the interpreter's
     * own: no fast path (before the first thread attaches). */
    cw_thread_slow_default = cw_interp_hi > cw_interp_lo ? CW_SLOW_INTERPRETER : 0;
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    cw_publish_thread_ids = dlsym(RTLD_DEFAULT, "__tsan_init") != NULL;
    cw_thread *main_thread = cw_thread_self();   /* the main thread becomes T0 */
    if (main_thread)
        main_thread->slow = cw_thread_slow_default;   /* it may have come earlier (a constructor's call) */
    cw_shim_crash_handler_install();
    cw_shim_off_hook = every_thread_slow;
    if (cw_shim_is_off())   /* an internal error during start-up leaves it off */
        every_thread_slow();
    else
        atomic_store(&cw_shim_ready, 1);
}

#define _GNU_SOURCE
/*
 * Start-up of the shim inside the watched program, and fork handling.
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>

#include "hang_watch.h"
#include "interceptor.h"
#include "record_writer.h"
#include "../detector/stacks/python_stacks.h"
#include "../detector/stacks/stack_capture.h"
#include "../detector/stacks/stack_depot.h"

atomic_int cw_shim_ready;
extern bool cw_trywait_is_acquire;
uintptr_t cw_interp_lo, cw_interp_hi;

typedef struct code_range {
    uintptr_t sym, lo, hi;
} code_range;

/* The executable segment that contains r->sym. */
static int find_code(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    code_range *r = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && lo <= r->sym && r->sym < lo + ph->p_memsz) {
            r->lo = lo;
            r->hi = lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

/* In a CPython process: the interpreter's code range (see cw_enter_from). */
static void find_interpreter(void)
{
    void *sym = dlsym(RTLD_DEFAULT, "Py_IsInitialized");
    code_range r = { .sym = (uintptr_t)sym };
    if (sym && dl_iterate_phdr(find_code, &r)) {
        cw_interp_lo = r.lo;
        cw_interp_hi = r.hi;
    }
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
    cw_semaphores_init();
    cw_trywait_is_acquire = dlsym(RTLD_DEFAULT, "Py_IsInitialized") != NULL;
    if (cw_trywait_is_acquire)
        cw_python_init();
    find_interpreter();
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    cw_thread_self();   /* the main thread becomes T0 */
    atomic_store(&cw_shim_ready, 1);
}

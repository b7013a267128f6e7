#define _GNU_SOURCE
#include "helper_thread.h"

#include <signal.h>

#include "thread_state.h"

static void *helper_main(void *arg)
{
    const cw_helper_thread *h = arg;
    cw_tls_untracked = 1;
    sigset_t all;
    sigfillset(&all);
    /* Not the faults: the tool's threads read the program's memory (lock
     * fields, pointers), and a page the race checks' software watchpoints
     * protect faults for them too (the handler performs the read). */
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_setname_np(pthread_self(), h->name);
    h->run();
    return NULL;
}

bool cw_helper_thread_start(cw_thread_create_fn create, const cw_helper_thread *h)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, h->stack_size);
    pthread_t th;
    bool ok = create(&th, &attr, helper_main, (void *)h) == 0;
    pthread_attr_destroy(&attr);
    return ok;
}

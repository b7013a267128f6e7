#define _GNU_SOURCE
#include "helper_thread.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "thread_state.h"
#include "common/clock.h"

#define MAX_HELPERS 8

static _Atomic pid_t helper_tids[MAX_HELPERS];   /* 0 = free slot */
static _Atomic uint32_t ending_hint;             /* futex word: bumped when a program thread ends */
static atomic_int exiting;
static __thread int is_helper __attribute__((tls_model("initial-exec")));

bool cw_is_helper_thread(void) { return is_helper; }

static void helper_register(pid_t tid)
{
    for (int i = 0; i < MAX_HELPERS; i++) {
        pid_t none = 0;
        if (atomic_compare_exchange_strong(&helper_tids[i], &none, tid))
            return;
    }
    /* No room: this helper counts as a thread of the program, which can
     * only delay the end, never bring it early. */
}

static void helper_unregister(pid_t tid)
{
    for (int i = 0; i < MAX_HELPERS; i++) {
        pid_t mine = tid;
        if (atomic_compare_exchange_strong(&helper_tids[i], &mine, 0))
            return;
    }
}

static bool is_helper_tid(pid_t tid)
{
    for (int i = 0; i < MAX_HELPERS; i++)
        if (atomic_load(&helper_tids[i]) == tid)
            return true;
    return false;
}

static size_t registered_helpers(void)
{
    size_t n = 0;
    for (int i = 0; i < MAX_HELPERS; i++)
        n += atomic_load(&helper_tids[i]) != 0;
    return n;
}

static void *helper_main(void *arg)
{
    const cw_helper_thread *h = arg;
    cw_tls_untracked = 1;
    is_helper = 1;
    sigset_t all;
    sigfillset(&all);
    /* Not the faults: the tool's threads read the program's memory (lock
     * fields, pointers), and a page the race checks' software watchpoints
     * protect faults for them too (the handler performs the read); and a
     * crash of ours must reach the shim's crash handler (blocked, the kernel
     * kills the process at once). */
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGFPE);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_setname_np(pthread_self(), h->name);
    pid_t tid = (pid_t)syscall(SYS_gettid);
    helper_register(tid);
    h->run();
    /* From here on this thread counts as the program's until it is gone:
     * it can only make the others wait one more look. */
    helper_unregister(tid);
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

/* ---- is any thread of the program left? -------------------------------- */

/* Reads a small /proc file without stdio (no malloc). */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

/* The state letter of a task ('R', 'S', 'Z', ...), or 0 when it is gone. */
static char task_state(pid_t pid, pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    if (read_small(path, buf, sizeof buf) <= 0)
        return 0;
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' ? paren[2] : '?';
}

/* Field 20 of /proc/self/stat: the tasks of the process, zombie leader included. */
static long thread_count(void)
{
    char buf[1024];
    if (read_small("/proc/self/stat", buf, sizeof buf) <= 0)
        return -1;
    const char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* After ") ": field 3 (state) is the first; num_threads is field 20. */
    p += 2;
    for (int field = 3; field < 20 && *p; p++)
        if (*p == ' ')
            field++;
    return strtol(p, NULL, 10);
}

static int runtime_tasks = -1;   /* the TSan runtime's background thread: never ends by itself */

/* True when every task of the process but the helpers is gone or a zombie. */
static bool program_gone(void)
{
    long tasks = thread_count();
    if (tasks < 0)
        return false;
    if (runtime_tasks < 0)
        runtime_tasks = dlsym(RTLD_DEFAULT, "__tsan_init") ? 1 : 0;
    /* Cheap first: more tasks than helpers, a zombie leader and the
     * runtime's thread means some thread of the program runs. */
    if (tasks > (long)registered_helpers() + 1 + runtime_tasks)
        return false;
    pid_t pid = getpid();
    char dir[48];
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    if (!d)
        return false;
    long live = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        pid_t tid = (pid_t)atoi(e->d_name);
        if (is_helper_tid(tid))
            continue;
        char st = task_state(pid, tid);
        if (st && st != 'Z' && st != 'X')
            live++;
    }
    closedir(d);
    if (live == 0)
        return true;
    /* The TSan runtime's thread may be the only task left; then the shim
     * must know no live thread either (it sees every thread TSan runs). */
    return live <= runtime_tasks && cw_thread_live_count() == 0;
}

static void end_like_glibc(void)
{
    if (atomic_exchange(&exiting, 1))
        for (;;)
            pause();   /* another helper is ending the process */
    exit(0);
}

void cw_helper_wait(uint64_t ns)
{
    uint32_t seen = atomic_load(&ending_hint);
    struct timespec ts = cw_timespec_of(ns);
    syscall(SYS_futex, &ending_hint, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
    if (atomic_load(&ending_hint) != seen) {
        /* A thread said it was ending: it still runs its TLS destructors and
         * has to leave the kernel; look closely for a while. */
        for (int i = 0; i < 200; i++) {
            if (program_gone())
                end_like_glibc();
            cw_sleep_ns(CW_MS);
            if (cw_thread_live_count() > 1)
                break;
        }
    }
    if (program_gone())
        end_like_glibc();
}

void cw_helper_thread_program_thread_ends(void)
{
    if (cw_thread_live_count() > 1 || !registered_helpers())
        return;
    atomic_fetch_add(&ending_hint, 1);
    syscall(SYS_futex, &ending_hint, FUTEX_WAKE_PRIVATE, MAX_HELPERS, NULL, NULL, 0);
}

void cw_helper_threads_after_fork_child(void)
{
    for (int i = 0; i < MAX_HELPERS; i++)
        atomic_store(&helper_tids[i], 0);
    atomic_store(&exiting, 0);
}

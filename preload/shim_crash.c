#define _GNU_SOURCE
#include "shim_crash.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "common/code_map.h"
#include "common/shim_health.h"
#include "events/helper_thread.h"
#include "stacks/stack_capture.h"

static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
#define NSIGNALS (sizeof fault_signals / sizeof fault_signals[0])
static struct sigaction previous[NSIGNALS];
static atomic_int reported;
static char exe_path[512];

static int signal_slot(int sig)
{
    for (size_t i = 0; i < NSIGNALS; i++)
        if (fault_signals[i] == sig)
            return (int)i;
    return -1;
}

static uintptr_t fault_pc(const void *uc)
{
#if defined(__x86_64__)
    return (uintptr_t)((const ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)((const ucontext_t *)uc)->uc_mcontext.pc;
#else
    (void)uc;
    return 0;
#endif
}

/* A text field: TAB and newline would break the record. */
static size_t append(char *buf, size_t at, size_t cap, const char *s)
{
    for (; *s && at + 1 < cap; s++)
        buf[at++] = (*s == '\t' || *s == '\n') ? ' ' : *s;
    return at;
}

static size_t append_raw(char *buf, size_t at, size_t cap, const char *s)
{
    for (; *s && at + 1 < cap; s++)
        buf[at++] = *s;
    return at;
}

/* One `frame` line per pc, the tool's frames included: it is the tool's crash. */
static size_t put_frames(char *buf, size_t at, size_t cap, const uintptr_t *pcs, int n, bool first_exact)
{
    for (int i = 0; i < n && at + 600 < cap; i++) {
        Dl_info info;
        struct link_map *map = NULL;
        const char *module = "?";
        uintptr_t vaddr = pcs[i];
        if (dladdr1((void *)pcs[i], &info, (void **)&map, RTLD_DL_LINKMAP) && map) {
            module = map->l_name && map->l_name[0] ? map->l_name : exe_path;
            vaddr = pcs[i] - map->l_addr;
        }
        at = append_raw(buf, at, cap, "frame\t");
        at = append(buf, at, cap, module);
        at += (size_t)snprintf(buf + at, cap - at, "\t0x%lx\t%c\n", (unsigned long)vaddr,
                               i == 0 && first_exact ? 'i' : 'r');
    }
    return at;
}

static void report_crash(int sig, const siginfo_t *si, uintptr_t pc, bool helper)
{
    char name[16] = "?";
    {
        int fd = -1;
        char path[64];
        snprintf(path, sizeof path, "/proc/self/task/%ld/comm", (long)syscall(SYS_gettid));
        fd = open(path, 0);
        if (fd >= 0) {
            ssize_t n = read(fd, name, sizeof name - 1);
            close(fd);
            name[n > 0 ? n : 0] = '\0';
            char *nl = strchr(name, '\n');
            if (nl)
                *nl = '\0';
        }
    }
    const char *signame = sigabbrev_np(sig);
    char line[512];
    int len = snprintf(line, sizeof line,
                       "concwatch: internal error in process %d: concwatch's shim crashed (SIG%s at address %p, "
                       "%s): a bug in concwatch, not in the program\n",
                       (int)getpid(), signame ? signame : "?", si->si_addr,
                       helper ? "on its own thread" : "inside concwatch in a thread of the program");
    ssize_t unused = write(2, line, len > 0 && len < (int)sizeof line ? (size_t)len : sizeof line - 1);
    (void)unused;

    static char rec[64 * 1024];
    uintptr_t pcs[64];
    int n = cw_capture_pcs(0, pcs, 64);
    int first = 0;
    for (int i = 0; i < n; i++)
        if (pcs[i] == pc || pcs[i] == pc + 1) {
            first = i;
            break;
        }
    size_t at = (size_t)snprintf(rec, sizeof rec, "crash\tSIG%s\t%p\t%s\t", signame ? signame : "?",
                                 si->si_addr, helper ? "helper" : "program");
    at = append(rec, at, sizeof rec, name);
    rec[at++] = '\n';
    if (n > first && (pcs[first] == pc || pcs[first] == pc + 1)) {
        uintptr_t exact = pc;
        at = put_frames(rec, at, sizeof rec, &exact, 1, true);
        at = put_frames(rec, at, sizeof rec, pcs + first + 1, n - first - 1, false);
    } else {
        uintptr_t exact = pc;
        at = put_frames(rec, at, sizeof rec, &exact, 1, true);
        at = put_frames(rec, at, sizeof rec, pcs, n, false);
    }
    at = append_raw(rec, at, sizeof rec, "end\n");
    cw_status_append(rec, at);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    int slot = signal_slot(sig);
    uintptr_t pc = fault_pc(uc);
    bool sent = si->si_code <= 0;   /* kill(), tgkill(), sigqueue(): not a fault of this thread */
    bool helper = cw_is_helper_thread();
    const cw_code_range *r = pc ? cw_code_map_find(pc) : NULL;
    if (!sent && (helper || (r && r->owner == CW_CODE_TOOL)) && !atomic_exchange(&reported, 1)) {
        atomic_store(&cw_shim_ready, 0);
        report_crash(sig, si, pc, helper);
    }
    /* As without us: the previous handler, and the fault again. */
    if (slot >= 0)
        sigaction(sig, &previous[slot], NULL);
    if (sent)   /* delivered again, to the previous handler, as ours returns */
        syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
}

void cw_shim_crash_handler_install(void)
{
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
    exe_path[n > 0 ? n : 0] = '\0';
    cw_code_map_scan();   /* so that the handler can tell the tool's code, without a lock */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSIGNALS; i++) {
        struct sigaction old;
        if (sigaction(fault_signals[i], NULL, &old) != 0)
            continue;
        /* A handler already there (an earlier preload, a sanitizer) stays first. */
        if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler != SIG_DFL)
            continue;
        if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction)
            continue;
        previous[i] = old;
        sigaction(fault_signals[i], &sa, NULL);
    }
}

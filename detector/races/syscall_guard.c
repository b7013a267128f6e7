#define _GNU_SOURCE
#include "syscall_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <ucontext.h>
#include <unistd.h>

#include "sw_pages.h"
#include "common/code_map.h"
#include "common/shim_health.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif
#define DISPATCH_ALLOW 0
#define DISPATCH_BLOCK 1
#define SA_RESTORER_FLAG 0x04000000

#define REGION_SIZE (64u * 1024u)
#define STUB_RAW 0            /* cw_sud_raw */
#define STUB_RESTORER 32      /* rt_sigreturn */
#define TRAMPOLINES 64        /* first trampoline */
#define TRAMPOLINE_SIZE 32
#define NTRAMPOLINES ((REGION_SIZE - TRAMPOLINES) / TRAMPOLINE_SIZE)

/* One byte for every guarded thread: always BLOCK (each thread turns the
 * dispatch on for itself; turning it on for another thread is impossible,
 * and flipping a selector to BLOCK under a thread that has just blocked
 * SIGSYS would kill it). */
static volatile char selector = DISPATCH_BLOCK;
static unsigned char *region_rx, *region_rw;
static atomic_int running;
static atomic_ulong trapped;
static cw_ksigaction program_action[65];
static _Atomic uintptr_t tramp_site[NTRAMPOLINES];
static __thread int registered __attribute__((tls_model("initial-exec")));

/* The memory the thread's system call in progress may touch: set by the
 * guard (under the pages' lock) before the call, cleared by the trampoline
 * right after it (`movq $0, %fs:n`: no register or flag changes), so a
 * page it reaches is not protected while it runs, however long it blocks.
 * Every guarded thread's is listed for cw_sud_pending_overlaps. */
#define PENDING_RANGES 6
typedef struct pending {
    uint64_t n;                      /* ranges in use; 0 = no call in progress */
    uintptr_t lo[PENDING_RANGES], hi[PENDING_RANGES];
} pending;
static __thread pending in_call __attribute__((tls_model("initial-exec")));
static long pending_tls_offset;     /* &in_call.n - %fs base, the same in every thread */
#define MAX_GUARDED 1024
static pending *_Atomic guarded[MAX_GUARDED];
static pthread_key_t exit_key;

static const unsigned char raw_stub[] = {
    0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0x48, 0x89, 0xd6, 0x48, 0x89, 0xca, 0x4d, 0x89, 0xc2,
    0x4d, 0x89, 0xc8, 0x4c, 0x8b, 0x4c, 0x24, 0x08, 0x0f, 0x05, 0xc3,
};
/* glibc's __restore_rt byte for byte: unwinders (libunwind, libgcc) know a
 * signal frame by these bytes at its return address. */
static const unsigned char restorer_stub[] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };

typedef long (*raw_fn)(long, long, long, long, long, long, long);

long cw_sud_raw(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    if (!region_rx)
        return syscall(nr, a1, a2, a3, a4, a5, a6);
    return ((raw_fn)(void *)(region_rx + STUB_RAW))(nr, a1, a2, a3, a4, a5, a6);
}

void *cw_sud_restorer(void) { return region_rx ? region_rx + STUB_RESTORER : NULL; }
bool cw_sud_running(void) { return atomic_load(&running) != 0; }
unsigned long cw_sud_trapped(void) { return atomic_load(&trapped); }
cw_ksigaction *cw_sud_program_action(int sig) { return sig > 0 && sig <= 64 ? &program_action[sig] : NULL; }

static unsigned long bit(int sig) { return 1ul << (sig - 1); }
#define OURS (bit(SIGSYS) | bit(SIGSEGV))

/* `syscall; jmp *site` in the region, one per call site. */
static uintptr_t trampoline_for(uintptr_t site)
{
    unsigned h = (unsigned)((site * 0x9E3779B97F4A7C15ull) >> 40) % NTRAMPOLINES;
    for (unsigned probe = 0; probe < NTRAMPOLINES; probe++, h = (h + 1) % NTRAMPOLINES) {
        uintptr_t cur = atomic_load_explicit(&tramp_site[h], memory_order_acquire);
        unsigned char *rw = region_rw + TRAMPOLINES + h * TRAMPOLINE_SIZE;
        uintptr_t rx = (uintptr_t)(region_rx + TRAMPOLINES + h * TRAMPOLINE_SIZE);
        if (cur == site)
            return rx;
        if (cur == 1) {
            while (atomic_load_explicit(&tramp_site[h], memory_order_acquire) == 1)
                ;   /* another thread writes it: a few stores */
            if (atomic_load(&tramp_site[h]) == site)
                return rx;
            continue;
        }
        if (cur != 0)
            continue;
        uintptr_t expected = 0;
        if (!atomic_compare_exchange_strong(&tramp_site[h], &expected, 1)) {
            probe--;   /* look at this entry again */
            h = (h + NTRAMPOLINES - 1) % NTRAMPOLINES;
            continue;
        }
        /* syscall; movq $0, %fs:pending_tls_offset; jmp *0(%rip); .quad site */
        unsigned char code[28] = { 0x0f, 0x05, 0x64, 0x48, 0xc7, 0x04, 0x25 };
        int32_t off = (int32_t)pending_tls_offset;
        memcpy(code + 7, &off, 4);
        memset(code + 11, 0, 4);
        static const unsigned char jmp[6] = { 0xff, 0x25, 0x00, 0x00, 0x00, 0x00 };
        memcpy(code + 15, jmp, sizeof jmp);
        memcpy(code + 21, &site, 7);   /* (the 8th byte below) */
        memcpy(rw, code, 21);
        memcpy(rw + 21, &site, sizeof site);
        atomic_store_explicit(&tramp_site[h], site, memory_order_release);
        return rx;
    }
    return 0;
}

/* The call site a trampoline pc (right after its syscall) stands for. */
static uintptr_t site_of_trampoline(uintptr_t pc)
{
    if (!region_rx || pc < (uintptr_t)region_rx + TRAMPOLINES || pc >= (uintptr_t)region_rx + REGION_SIZE)
        return 0;
    unsigned h = (unsigned)((pc - (uintptr_t)region_rx - TRAMPOLINES) / TRAMPOLINE_SIZE);
    uintptr_t site = atomic_load(&tramp_site[h]);
    return site > 1 ? site : 0;
}

/* A copy of a signal mask without SIGSYS and SIGSEGV, kept while the wait
 * that uses it may run (a few per thread: nested handlers). */
static __thread unsigned long mask_copies[8] __attribute__((tls_model("initial-exec")));
static __thread unsigned mask_next __attribute__((tls_model("initial-exec")));
static __thread unsigned long pselect_args[4][2] __attribute__((tls_model("initial-exec")));

static void strip_mask_arg(greg_t *reg)
{
    const unsigned long *m = (const unsigned long *)(uintptr_t)*reg;
    if (!m || !(*m & OURS))
        return;
    unsigned long *copy = &mask_copies[mask_next++ % 8];
    *copy = *m & ~OURS;
    *reg = (greg_t)(uintptr_t)copy;
}

static long emulate_sigprocmask(ucontext_t *uc, long how, const unsigned long *set, unsigned long *oset, long size)
{
    if (size != 8)
        return -EINVAL;
    unsigned long *cur = (unsigned long *)&uc->uc_sigmask;
    unsigned long old = *cur, next = old;
    if (set) {
        if (how == SIG_BLOCK)
            next = old | *set;
        else if (how == SIG_UNBLOCK)
            next = old & ~*set;
        else if (how == SIG_SETMASK)
            next = *set;
        else
            return -EINVAL;
    }
    if (oset)
        *oset = old;
    *cur = next & ~(OURS | bit(SIGKILL) | bit(SIGSTOP));
    return 0;
}

static long emulate_sigaction(long sig, const cw_ksigaction *act, cw_ksigaction *oact, long size)
{
    if (sig == SIGSYS || sig == SIGSEGV) {
        /* Ours stay installed; the program's is the one they hand over to. */
        cw_ksigaction old = program_action[sig];
        if (act)
            program_action[sig] = *act;
        if (oact)
            *oact = old;
        return 0;
    }
    if (!act)
        return cw_sud_raw(SYS_rt_sigaction, sig, 0, (long)oact, size, 0, 0);
    cw_ksigaction copy = *act;
    copy.mask &= ~OURS;
    return cw_sud_raw(SYS_rt_sigaction, sig, (long)&copy, (long)oact, size, 0, 0);
}

/* Notes [lo, lo+len) as touched by the call (the pages' lock is held):
 * protected pages there are given back. */
static void release(uintptr_t lo, size_t len)
{
    if (!len || lo < 4096)
        return;
    uintptr_t hi = lo + len < lo ? UINTPTR_MAX : lo + len;
    unsigned n = (unsigned)in_call.n;
    if (n < PENDING_RANGES) {
        in_call.lo[n] = lo;
        in_call.hi[n] = hi;
        atomic_store_explicit((_Atomic uint64_t *)&in_call.n, n + 1, memory_order_release);
    } else {
        in_call.hi[PENDING_RANGES - 1] = UINTPTR_MAX;   /* too many: the last one covers the rest */
        if (in_call.lo[PENDING_RANGES - 1] > lo)
            in_call.lo[PENDING_RANGES - 1] = lo;
    }
    cw_sw_pages_release_range_locked(lo, hi);
}

bool cw_sud_pending_overlaps(uintptr_t lo, uintptr_t hi)
{
    for (unsigned i = 0; i < MAX_GUARDED; i++) {
        pending *p = atomic_load(&guarded[i]);
        if (!p)
            continue;
        uint64_t n = atomic_load_explicit((_Atomic uint64_t *)&p->n, memory_order_acquire);
        for (uint64_t k = 0; k < n && k < PENDING_RANGES; k++)
            if (p->lo[k] < hi && p->hi[k] > lo)
                return true;
    }
    return false;
}

/* What guard_arguments needs from the program's memory, copied before the
 * pages' lock is taken: the struct may lie on a protected page (an iovec
 * array or a struct msghdr in a watched global), and reading it there
 * faults into the fault handler, which takes that lock (backend_sw.c). */
#define PRE_IOV 16             /* small: the signal stack may be the program's sigaltstack */
typedef struct pre_read {
    unsigned long clone3_flags;
    struct msghdr msg;
    bool has_msg;
    long niov;                     /* entries copied into iov */
    bool iov_rest;                 /* more than PRE_IOV: the rest is not known */
    struct iovec iov[PRE_IOV];
} pre_read;

static void pre_read_iov(pre_read *pre, const struct iovec *iov, long n)
{
    pre->niov = 0;
    for (long i = 0; iov && i < n && i < PRE_IOV; i++)
        pre->iov[pre->niov++] = iov[i];
    pre->iov_rest = iov && n > PRE_IOV;
}

static void pre_read_arguments(long nr, const greg_t *g, pre_read *pre)
{
    pre->clone3_flags = 0;
    pre->has_msg = false;
    pre->niov = 0;
    pre->iov_rest = false;
    switch (nr) {
    case SYS_readv: case SYS_writev: case SYS_preadv: case SYS_pwritev: case SYS_preadv2: case SYS_pwritev2:
        pre_read_iov(pre, (const struct iovec *)g[REG_RSI], g[REG_RDX]);
        break;
    case SYS_recvmsg: case SYS_sendmsg:
        if (g[REG_RSI]) {
            pre->msg = *(const struct msghdr *)g[REG_RSI];
            pre->has_msg = true;
            pre_read_iov(pre, pre->msg.msg_iov, (long)pre->msg.msg_iovlen);
        }
        break;
    case SYS_clone3:
        if (g[REG_RDI])
            pre->clone3_flags = *(const unsigned long *)g[REG_RDI];
        break;
    default:
        break;
    }
}

static void release_iov(const pre_read *pre)
{
    for (long i = 0; i < pre->niov; i++)
        release((uintptr_t)pre->iov[i].iov_base, pre->iov[i].iov_len);
    if (pre->iov_rest)
        release(4096, UINTPTR_MAX - 4096);   /* buffers not read: any page */
}

/* Gives back every watched page the call can touch: its buffers, and any
 * argument pointing into one.  Reads nothing of the program's memory but
 * the copies in pre (the pages' lock is held). */
static void guard_arguments(long nr, const greg_t *g, const pre_read *pre)
{
    long a[6] = { g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9] };
    switch (nr) {
    case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64: case SYS_recvfrom: case SYS_sendto:
    case SYS_getdents64: case SYS_readlink:
        release((uintptr_t)a[1], (size_t)a[2]);
        break;
    case SYS_readv: case SYS_writev: case SYS_preadv: case SYS_pwritev: case SYS_preadv2: case SYS_pwritev2:
        release_iov(pre);
        break;
    case SYS_recvmsg: case SYS_sendmsg:
        if (pre->has_msg) {
            release((uintptr_t)pre->msg.msg_name, pre->msg.msg_namelen);
            release((uintptr_t)pre->msg.msg_control, pre->msg.msg_controllen);
            release_iov(pre);
        }
        break;
    case SYS_getcwd: case SYS_getrandom:
        release((uintptr_t)a[0], (size_t)a[1]);
        break;
    case SYS_readlinkat:
        release((uintptr_t)a[2], (size_t)a[3]);
        break;
    case SYS_munmap: case SYS_mprotect: case SYS_madvise: case SYS_mremap: case SYS_msync: case SYS_mlock:
    case SYS_munlock:
        release((uintptr_t)a[0], (size_t)a[1]);
        break;
    case SYS_mmap:
        if (a[3] & MAP_FIXED)
            release((uintptr_t)a[0], (size_t)a[1]);
        break;
    /* The pages' lock is held here: the _locked release, never the one
     * that takes it again (a spin lock taken twice by one thread: brk from
     * malloc while a page was protected hung every thread of the program). */
    case SYS_brk:
        if (a[0])
            release((uintptr_t)a[0], UINTPTR_MAX - (uintptr_t)a[0]);
        break;
    case SYS_clone:
        if (!(a[0] & CLONE_THREAD))
            cw_sw_pages_release_range_locked(0, UINTPTR_MAX);   /* a child process: the pages are its too */
        break;
    case SYS_clone3: case SYS_fork: case SYS_vfork: case SYS_execve: case SYS_execveat:
        if (nr != SYS_clone3 || !(pre->clone3_flags & CLONE_THREAD))
            cw_sw_pages_release_range_locked(0, UINTPTR_MAX);
        break;
    default:
        break;
    }
    /* Any argument pointing into a watched page (a struct the call fills, a futex word...). */
    /* (Calls without arguments leave whatever the registers held.) */
    if (nr == SYS_rt_sigreturn || nr == SYS_sched_yield || nr == SYS_getpid || nr == SYS_gettid)
        return;
    for (int i = 0; i < 6; i++)
        if ((uintptr_t)a[i] >= 4096 && (uintptr_t)a[i] < (1ull << 47) && cw_sw_page_slot((uintptr_t)a[i]) >= 0)
            release((uintptr_t)a[i], 1);
    /* Pointers that point at no protected page now still go on the list
     * (a page protected while the call runs would make it fail). */
    for (int i = 0; i < 6; i++)
        if ((uintptr_t)a[i] >= 4096 && (uintptr_t)a[i] < (1ull << 47) && cw_sw_page_slot((uintptr_t)a[i]) < 0)
            release((uintptr_t)a[i], 1);
}

static void chain_sigsys(int sig, siginfo_t *si, void *uc)
{
    cw_ksigaction *p = &program_action[SIGSYS];
    if (p->handler == SIG_IGN)
        return;
    if (p->handler == SIG_DFL || !p->handler) {
        cw_ksigaction dfl = { SIG_DFL, 0, NULL, 0 };
        cw_sud_raw(SYS_rt_sigaction, SIGSYS, (long)&dfl, 0, 8, 0, 0);
        cw_sud_raw(SYS_tgkill, getpid(), cw_sud_raw(SYS_gettid, 0, 0, 0, 0, 0, 0), SIGSYS, 0, 0, 0);
        return;
    }
    if (p->flags & SA_SIGINFO)
        ((void (*)(int, siginfo_t *, void *))p->handler)(sig, si, uc);
    else
        ((void (*)(int))p->handler)(sig);
}

static void sigsys_handler(int sig, siginfo_t *si, void *ucv)
{
    if (si->si_code != SYS_USER_DISPATCH) {
        chain_sigsys(sig, si, ucv);
        return;
    }
    int saved = errno;
    ucontext_t *uc = ucv;
    greg_t *g = uc->uc_mcontext.gregs;
    long nr = si->si_syscall;
    atomic_fetch_add_explicit(&trapped, 1, memory_order_relaxed);
    switch (nr) {
    case SYS_rt_sigprocmask:
        g[REG_RAX] = emulate_sigprocmask(uc, g[REG_RDI], (const unsigned long *)g[REG_RSI], (unsigned long *)g[REG_RDX],
                                         g[REG_R10]);
        errno = saved;
        return;
    case SYS_rt_sigaction:
        g[REG_RAX] = emulate_sigaction(g[REG_RDI], (const cw_ksigaction *)g[REG_RSI], (cw_ksigaction *)g[REG_RDX],
                                       g[REG_R10]);
        errno = saved;
        return;
    case SYS_rt_sigsuspend:
        strip_mask_arg(&g[REG_RDI]);
        break;
    case SYS_ppoll:
        strip_mask_arg(&g[REG_R10]);
        break;
    case SYS_epoll_pwait:
    case SYS_epoll_pwait2:
        strip_mask_arg(&g[REG_R8]);
        break;
    case SYS_pselect6: {
        /* The sixth argument points at { const sigset_t *mask; size_t size }. */
        const unsigned long *arg = (const unsigned long *)g[REG_R9];
        if (arg && arg[0] && (*(const unsigned long *)arg[0] & OURS)) {
            unsigned k = mask_next++ % 8;
            mask_copies[k] = *(const unsigned long *)arg[0] & ~OURS;
            unsigned long *pair = pselect_args[k % 4];
            pair[0] = (unsigned long)&mask_copies[k];
            pair[1] = arg[1];
            g[REG_R9] = (greg_t)(uintptr_t)pair;
        }
        break;
    }
    default:
        break;
    }
    /* What the call may touch, under the pages' lock: a page is protected
     * either before (and given back here) or after the call is over. */
    pre_read pre;
    pre_read_arguments(nr, g, &pre);
    cw_sw_pages_lock();
    if (cw_test_fault(CW_FAULT_SW_SPIN) && nr == SYS_brk)
        cw_sw_pages_lock();   /* test only: a deadlock inside the guard, every asynchronous signal blocked */
    in_call.n = 0;
    guard_arguments(nr, g, &pre);
    cw_sw_pages_unlock();
    uintptr_t t = trampoline_for((uintptr_t)g[REG_RIP]);
    if (t) {
        g[REG_RIP] = (greg_t)t;
        g[REG_RAX] = nr;
    } else {
        /* No room for another call site: performed here instead. */
        g[REG_RAX] = cw_sud_raw(nr, g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9]);
    }
    errno = saved;
}

static long install(int sig, void (*fn)(int, siginfo_t *, void *), cw_ksigaction *old)
{
    cw_ksigaction sa = { (void *)fn, SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART | SA_RESTORER_FLAG,
                         cw_sud_restorer(), 0 };
    /* Asynchronous signals wait until our handler is done (it takes spin locks). */
    sa.mask = ~0ul & ~(OURS | bit(SIGTRAP) | bit(SIGBUS) | bit(SIGILL) | bit(SIGFPE) | bit(SIGKILL) | bit(SIGSTOP));
    return cw_sud_raw(SYS_rt_sigaction, sig, (long)&sa, (long)old, 8, 0, 0);
}

bool cw_sud_install_handler(int sig, void (*fn)(int, siginfo_t *, void *))
{
    cw_ksigaction old;
    if (install(sig, fn, &old) != 0)
        return false;
    if (old.handler != (void *)fn)
        program_action[sig] = old;
    return true;
}

static void unguard(void *p)
{
    for (unsigned i = 0; i < MAX_GUARDED; i++) {
        pending *expected = p;
        if (atomic_compare_exchange_strong(&guarded[i], &expected, NULL))
            break;
    }
}

void cw_sud_register_self(void)
{
    if (!atomic_load(&running) || registered)
        return;
    bool listed = false;
    for (unsigned i = 0; i < MAX_GUARDED && !listed; i++) {
        pending *expected = NULL;
        listed = atomic_compare_exchange_strong(&guarded[i], &expected, &in_call);
    }
    if (!listed)
        return;   /* too many threads: this one is not guarded (the backend does not watch while it runs) */
    pthread_setspecific(exit_key, &in_call);
    sigset_t ours;
    sigemptyset(&ours);
    sigaddset(&ours, SIGSYS);
    sigaddset(&ours, SIGSEGV);
    pthread_sigmask(SIG_UNBLOCK, &ours, NULL);
    if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (unsigned long)region_rx, (unsigned long)REGION_SIZE,
              &selector) == 0)
        registered = 1;
}

bool cw_sud_start(char *why, size_t len)
{
    if (atomic_load(&running))
        return true;
    int fd = (int)syscall(SYS_memfd_create, "concwatch-sud", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, REGION_SIZE) != 0) {
        snprintf(why, len, "no code region for the system-call guard (%s)", strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    void *rw = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    void *rx = mmap(NULL, REGION_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    close(fd);
    if (rw == MAP_FAILED || rx == MAP_FAILED) {
        snprintf(why, len, "no code region for the system-call guard (%s)", strerror(errno));
        return false;
    }
    region_rw = rw;
    uint64_t fs;
    __asm__("mov %%fs:0, %0" : "=r"(fs));
    pending_tls_offset = (long)((uintptr_t)&in_call.n - (uintptr_t)fs);
    if (pending_tls_offset < INT32_MIN || pending_tls_offset > INT32_MAX ||
        pthread_key_create(&exit_key, unguard) != 0) {
        snprintf(why, len, "no thread-local room for the system-call guard");
        return false;
    }
    memcpy(region_rw + STUB_RAW, raw_stub, sizeof raw_stub);
    memcpy(region_rw + STUB_RESTORER, restorer_stub, sizeof restorer_stub);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    region_rx = rx;
    /* Can this thread use the dispatch at all?  (Linux 5.11+, not in every
     * kernel configuration.) */
    if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0) != 0) {
        snprintf(why, len, "Syscall User Dispatch is not available (%s)", strerror(errno));
        region_rx = NULL;
        return false;
    }
    if (!cw_sud_install_handler(SIGSYS, sigsys_handler)) {
        snprintf(why, len, "cannot install a SIGSYS handler");
        region_rx = NULL;
        return false;
    }
    /* Handlers installed before: out of their masks go SIGSYS and SIGSEGV. */
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGSYS || sig == SIGSEGV || sig == 32 || sig == 33)
            continue;
        cw_ksigaction cur;
        if (cw_sud_raw(SYS_rt_sigaction, sig, 0, (long)&cur, 8, 0, 0) == 0 && cur.handler != SIG_DFL &&
            cur.handler != SIG_IGN && (cur.mask & OURS)) {
            cur.mask &= ~OURS;
            cw_sud_raw(SYS_rt_sigaction, sig, (long)&cur, 0, 8, 0, 0);
        }
    }
    cw_code_map_set_alias(site_of_trampoline);
    atomic_store(&running, 1);
    cw_sud_register_self();
    if (!registered) {
        atomic_store(&running, 0);
        snprintf(why, len, "Syscall User Dispatch refused (%s)", strerror(errno));
        return false;
    }
    return true;
}

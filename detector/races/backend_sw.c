#define _GNU_SOURCE
/*
 * The software backend (watch_backend.h): the page that holds the watched
 * word is protected (sw_pages.h) and every access to it faults before it
 * happens.  The SIGSEGV handler decodes the faulting instruction
 * (insn_decode.h), performs it itself through /proc/self/mem (the kernel
 * lets a process write its own protected pages there), and reports it when
 * it touched the watched word — so the page never opens and no other
 * thread's access is missed while one is handled.  An instruction it
 * cannot perform (atomic, vector, string) gets the page back: the watch of
 * that word ends and the instruction runs as usual.  System calls are
 * guarded (syscall_guard.h).
 *
 * Accesses of threads not watched this tick (after their first trap, as
 * with the hardware backend) are performed silently; past
 * CONCWATCH_RACE_SW_SILENT_FAULTS of them in a tick, the page opens until
 * the next tick (a hot word).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "insn_decode.h"
#include "sw_pages.h"
#include "syscall_guard.h"
#include "watch_backend.h"
#include "common/code_map.h"
#include "common/spin_lock.h"

static atomic_int memfd = -1;
static dev_t mem_dev;
static ino_t mem_ino;

static long raw(long nr, long a, long b, long c, long d)
{
    return cw_sud_raw(nr, a, b, c, d, 0, 0);
}

/* /proc/self/mem, checked before each use: the program may have closed our
 * descriptor and reused its number for a file of its own. */
static int mem_fd(void)
{
    int fd = atomic_load(&memfd);
    struct stat st;
    if (fd >= 0 && raw(SYS_fstat, fd, (long)&st, 0, 0) == 0 && st.st_dev == mem_dev && st.st_ino == mem_ino)
        return fd;
    fd = (int)raw(SYS_openat, AT_FDCWD, (long)"/proc/self/mem", O_RDWR | O_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (raw(SYS_fstat, fd, (long)&st, 0, 0) != 0) {
        raw(SYS_close, fd, 0, 0, 0);
        return -1;
    }
    mem_dev = st.st_dev;
    mem_ino = st.st_ino;
    int old = atomic_exchange(&memfd, fd);
    (void)old;   /* not closed: it may be the program's own file by now */
    return fd;
}

static bool mem_read(uintptr_t addr, void *buf, size_t n, void *ctx)
{
    (void)ctx;
    int fd = mem_fd();
    return fd >= 0 && raw(SYS_pread64, fd, (long)buf, (long)n, (long)addr) == (long)n;
}

static bool mem_write(uintptr_t addr, const void *buf, size_t n, void *ctx)
{
    (void)ctx;
    int fd = mem_fd();
    return fd >= 0 && raw(SYS_pwrite64, fd, (long)buf, (long)n, (long)addr) == (long)n;
}

static const cw_mem_io mem_io = { mem_read, mem_write, NULL };

static void chain_sigsegv(int sig, siginfo_t *si, void *uc)
{
    cw_ksigaction *p = cw_sud_program_action(SIGSEGV);
    if (p->handler == SIG_IGN && si->si_code <= 0)
        return;
    if (p->handler == SIG_DFL || p->handler == SIG_IGN || !p->handler) {
        /* What the program would have got: the default action, now. */
        cw_ksigaction dfl = { SIG_DFL, 0, NULL, 0 };
        raw(SYS_rt_sigaction, SIGSEGV, (long)&dfl, 0, 8);
        if (si->si_code <= 0)
            raw(SYS_tgkill, getpid(), raw(SYS_gettid, 0, 0, 0, 0), SIGSEGV, 0);
        return;   /* a fault: it happens again, with the default action */
    }
    if (p->flags & SA_SIGINFO)
        ((void (*)(int, siginfo_t *, void *))p->handler)(sig, si, uc);
    else
        ((void (*)(int))p->handler)(sig);
}

static int own_pos(const cw_watch *w)
{
    const cw_thread *me = cw_tls_self;
    int n = atomic_load(&w->npos);
    for (int i = 0; me && i < n; i++)
        if (w->thr[i] == me && w->tid[i] == me->tid)
            return i;
    return -1;
}

static cw_watch *fault(cw_watch *w, unsigned slot, uintptr_t addr, ucontext_t *uc)
{
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    const cw_code_range *cr = cw_code_map_find(pc);
    size_t avail = cr && cr->hi > pc ? (cr->hi - pc < 15 ? cr->hi - pc : 15) : 15;
    cw_insn in;
    bool ok = cw_insn_decode((const uint8_t *)pc, avail, pc, uc, &in) && in.has_mem &&
              addr >= in.ea && addr < in.ea + (in.size ? in.size : 1);
    /* Two slots may watch two words of one page: the access is the one's
     * whose word it touches. */
    for (unsigned s = 0; ok && s < cw_nslots; s++) {
        cw_watch *o = &cw_watches[s];
        if (o != w && atomic_load(&o->protected_now) && o->page == w->page && in.ea < o->addr + o->len &&
            in.ea + in.size > o->addr) {
            atomic_fetch_sub(&w->inflight, 1);
            atomic_fetch_add(&o->inflight, 1);
            w = o;
            slot = s;
            break;
        }
    }
    bool overlaps = ok && in.ea < w->addr + w->len && in.ea + in.size > w->addr;
    if (!ok || !in.emulable) {
        cw_race_debugf("race: sw fault at pc %#lx not emulated (%s)\n", (unsigned long)pc, ok ? "instruction" : "decode");
        if (ok && in.atomic && overlaps)
            atomic_store(&w->saw_atomic, 1);
        cw_sw_pages_release_range(addr, addr + 1);   /* the instruction runs again, on an open page */
        return w;
    }
    uint32_t gen = atomic_load(&w->gen);
    /* Every access to a protected page is performed here, one at a time:
     * a read-modify-write (atomic ones too: a mutex may share the page) is
     * then atomic with respect to every other access. */
    cw_sw_pages_lock();
    if (cw_sw_page_slot(addr) < 0) {
        /* Given back meanwhile: the instruction runs again, natively. */
        cw_sw_pages_unlock();
        return w;
    }
    bool done = cw_insn_emulate(&in, uc, &mem_io);
    cw_sw_pages_unlock();
    if (!done) {
        cw_race_debugf("race: sw fault at pc %#lx: emulation failed\n", (unsigned long)pc);
        cw_sw_pages_release_range(addr, addr + 1);
        return w;
    }
    if (in.atomic) {
        if (overlaps)
            atomic_store(&w->saw_atomic, 1);   /* a synchronisation word, not a race */
        atomic_fetch_add(&w->silent_faults, 1);
        return w;
    }
    atomic_fetch_add_explicit(&cw_ntraps, 1, memory_order_relaxed);
    int pos = overlaps ? own_pos(w) : -1;
    bool reported = pos >= 0 && atomic_load(&w->armed[pos]) && atomic_load(&w->gen) == gen && gen &&
                    (in.writes || atomic_load(&w->type[pos]) == CW_WP_ACCESS);
    if (cw_race_debug && overlaps)
        cw_race_debugf("race: sw fault slot %u pc %#lx ea %#lx pos %d armed %d type %d writes %d -> %s\n", slot,
                       (unsigned long)pc, (unsigned long)in.ea, pos, pos >= 0 ? atomic_load(&w->armed[pos]) : -1,
                       pos >= 0 ? atomic_load(&w->type[pos]) : -1, in.writes, reported ? "reported" : "silent");
    if (reported) {
        cw_access_info info = { .write = in.writes, .atomic = 0, .late = false, .pc = pc, .pc_exact = true };
        cw_thread *self = cw_tls_self;
        if (self)
            self->depth++;   /* the unwinder's own locks go straight through */
        cw_on_access(w, slot, (unsigned)pos, &info);
        if (self)
            self->depth--;
        return w;
    }
    if (atomic_fetch_add(&w->silent_faults, 1) + 1 >= cw_flags.race_sw_silent_faults && !atomic_load(&w->hold_open)) {
        /* A hot page: open until the next tick (watch_slots.c: unless a
         * thread whose first access is awaited may make it now). */
        cw_sw_page_release(w);
    }
    return w;
}

static void sigsegv_handler(int sig, siginfo_t *si, void *ucv)
{
    uintptr_t addr = (uintptr_t)si->si_addr;
    int slot = si->si_code == SEGV_ACCERR ? cw_sw_page_slot(addr) : -1;
    if (slot < 0) {
        /* Given back since the fault: the access is made again (bounded: a
         * page the program itself protected since then faults for good). */
        static __thread uintptr_t retried_at __attribute__((tls_model("initial-exec")));
        static __thread unsigned retries __attribute__((tls_model("initial-exec")));
        if (si->si_code == SEGV_ACCERR && cw_sw_page_was_ours(addr)) {
            retries = retried_at == addr ? retries + 1 : 1;
            retried_at = addr;
            if (retries < 1000)
                return;
        }
        retried_at = 0;
        chain_sigsegv(sig, si, ucv);
        return;
    }
    int saved = errno;
    cw_watch *w = &cw_watches[slot];
    atomic_fetch_add(&w->inflight, 1);
    w = fault(w, (unsigned)slot, addr, ucv);
    atomic_fetch_sub(&w->inflight, 1);
    errno = saved;
}

static bool sw_start(char *why, size_t len)
{
#if !defined(__x86_64__)
    snprintf(why, len, "software watchpoints need x86-64");
    return false;
#else
    if (!cw_insn_load()) {
        snprintf(why, len, "software watchpoints need the Zydis decoder (libzydis4.0), not installed");
        return false;
    }
    /* Can this process write its own protected pages through /proc/self/mem
     * (kernels may refuse: proc_mem.force_override)? */
    long psz = sysconf(_SC_PAGESIZE);
    volatile uint64_t *scratch = mmap(NULL, (size_t)psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t probe = 0xC0FFEE, back = 0;
    bool ok = scratch != MAP_FAILED && mem_write((uintptr_t)scratch, &probe, sizeof probe, NULL) &&
              mem_read((uintptr_t)scratch, &back, sizeof back, NULL) && back == probe;
    if (scratch != MAP_FAILED)
        munmap((void *)scratch, (size_t)psz);
    if (!ok) {
        snprintf(why, len, "this kernel does not let a process write its protected pages through /proc/self/mem");
        return false;
    }
    /* Installed through the C library, before the guard starts: its
     * restorer is the one unwinders know a signal frame by (our stacks go
     * through it); its return then passes the guard like any sigreturn. */
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = sigsegv_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
    sigfillset(&sa.sa_mask);   /* asynchronous signals wait: the handler takes spin locks */
    static const int sync_signals[] = { SIGSEGV, SIGSYS, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
    for (size_t i = 0; i < sizeof sync_signals / sizeof sync_signals[0]; i++)
        sigdelset(&sa.sa_mask, sync_signals[i]);
    if (sigaction(SIGSEGV, &sa, &old) != 0) {
        snprintf(why, len, "cannot install a SIGSEGV handler");
        return false;
    }
    if (old.sa_sigaction != sigsegv_handler) {
        cw_ksigaction *p = cw_sud_program_action(SIGSEGV);
        p->handler = (old.sa_flags & SA_SIGINFO) ? (void *)old.sa_sigaction : (void *)old.sa_handler;
        p->flags = (unsigned long)old.sa_flags;
        memcpy(&p->mask, &old.sa_mask, sizeof p->mask);
    }
    if (!cw_sud_start(why, len)) {
        sigaction(SIGSEGV, &old, NULL);
        return false;
    }
    return true;
#endif
}

static bool sw_still_installed(void)
{
    cw_ksigaction cur;
    long rc = cw_sud_raw(SYS_rt_sigaction, SIGSEGV, 0, (long)&cur, 8, 0, 0);
    if (rc != 0 || cur.handler != (void *)sigsegv_handler)
        cw_race_debugf("race: SIGSEGV handler rc %ld handler %p, ours %p\n", rc, cur.handler, (void *)sigsegv_handler);
    return rc == 0 && cur.handler == (void *)sigsegv_handler;
}

static int sw_pos_open(cw_watch *w, unsigned slot, int pos, pid_t tid)
{
    (void)w; (void)slot; (void)pos; (void)tid;
    return 0;
}

static void sw_pos_close(cw_watch *w, int pos) { (void)w; (void)pos; }
static int sw_pos_enable(cw_watch *w, int pos) { (void)w; (void)pos; return 0; }
static int sw_pos_disable(cw_watch *w, int pos) { (void)w; (void)pos; return 0; }

static int sw_pos_set_type(cw_watch *w, unsigned slot, int pos, cw_wp_type type)
{
    (void)w; (void)slot; (void)pos; (void)type;
    return 0;
}

static int sw_pos_retarget(cw_watch *w, unsigned slot, int pos)
{
    (void)w; (void)slot; (void)pos;
    return 0;
}

static bool sw_pos_counts(cw_watch *w, int pos, uint64_t *accesses)
{
    (void)w; (void)pos; (void)accesses;
    return false;
}

static void sw_word_arm(cw_watch *w)
{
    atomic_store(&w->silent_faults, 0);   /* a new tick */
    if (atomic_load(&cw_sampler_suspended) || atomic_load(&w->sw_dropped))
        return;
    if (!cw_sw_page_protect(w)) {
        cw_race_debugf("race: the page of `%s` cannot be protected: not watched\n", cw_vars.v[w->var].name);
        atomic_store(&w->sw_dropped, 1);
    }
}

static void sw_word_joined(cw_watch *w)
{
    /* Only a page already checked (sw_pages.h): no /proc reading here. */
    if (!atomic_load(&w->protected_now) && !atomic_load(&cw_sampler_suspended) && !atomic_load(&w->sw_dropped) &&
        w->page_ok && w->page_ok == w->page) {
        atomic_store(&w->silent_faults, 0);
        if (!cw_sw_page_protect(w))
            atomic_store(&w->sw_dropped, 1);
    }
}

static void sw_word_disarm(cw_watch *w)
{
    cw_sw_page_release(w);
    atomic_store(&w->sw_dropped, 0);
}

static uint64_t sw_trap_cost_ns(void) { return cw_flags.race_sw_fault_cost_ns; }

static void sw_after_fork_child(void)
{
    cw_sw_pages_after_fork_child();
    atomic_store(&memfd, -1);   /* the parent's memory: this process needs its own */
}

static void sw_thread_started(void) { cw_sud_register_self(); }

const cw_watch_backend cw_backend_sw = {
    .name = "software watchpoints",
    .per_thread = false,
    .max_slots = CW_MAX_SLOTS,   /* no register limit: every word's page is protected */
    .counts_switches = false,
    .start = sw_start,
    .still_installed = sw_still_installed,
    .pos_open = sw_pos_open,
    .pos_close = sw_pos_close,
    .pos_enable = sw_pos_enable,
    .pos_disable = sw_pos_disable,
    .pos_set_type = sw_pos_set_type,
    .pos_retarget = sw_pos_retarget,
    .pos_counts = sw_pos_counts,
    .word_arm = sw_word_arm,
    .word_disarm = sw_word_disarm,
    .word_joined = sw_word_joined,
    .trap_cost_ns = sw_trap_cost_ns,
    .after_fork_child = sw_after_fork_child,
    .thread_started = sw_thread_started,
};

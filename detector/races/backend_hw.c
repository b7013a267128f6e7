#define _GNU_SOURCE
/*
 * The hardware backend (watch_backend.h): per thread and word, a perf_event
 * breakpoint (watchpoints.h) whose SIGTRAP carries the slot and position in
 * its cookie.  The handler runs right after the access, in the accessing
 * thread, and finds the instruction by decoding its function forward
 * (access_insn.h): a write or a read, atomic or not.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hwbp_selftest.h"
#include "insn_decode.h"
#include "watch_backend.h"

static struct sigaction old_trap;

static void chain_sigtrap(int sig, siginfo_t *si, void *uc)
{
    if (old_trap.sa_flags & SA_SIGINFO) {
        if (old_trap.sa_sigaction)
            old_trap.sa_sigaction(sig, si, uc);
        return;
    }
    if (old_trap.sa_handler == SIG_IGN)
        return;
    if (old_trap.sa_handler == SIG_DFL) {
        /* What the program would have got: the default action. */
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGTRAP, &dfl, NULL);
        syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGTRAP);
        return;
    }
    old_trap.sa_handler(sig);
}

static void sigtrap_handler(int sig, siginfo_t *si, void *ucv)
{
    uint64_t cookie;
    bool late;
    if (cw_hwbp_probe_on_trap(si))
        return;
    if (!cw_wp_decode(si, &cookie, &late) || (cookie >> 48) != CW_WATCH_MAGIC) {
        chain_sigtrap(sig, si, ucv);
        return;
    }
    int saved = errno;
    atomic_fetch_add_explicit(&cw_ntraps, 1, memory_order_relaxed);
    unsigned slot = (unsigned)(cookie >> 8) & 0xff, pos = (unsigned)cookie & 0xff;
    uint32_t gen = (uint32_t)(cookie >> 24) & 0xffffff;
    /* The unwinder takes its own mutex: the shim must forward that call
     * untouched (as it does for any call made from inside the shim). */
    cw_thread *self = cw_tls_self;
    if (self)
        self->depth++;
    if (slot < cw_nslots) {
        cw_watch *w = &cw_watches[slot];
        atomic_fetch_add(&w->inflight, 1);
        if (atomic_load(&w->gen) == gen && pos < (unsigned)atomic_load(&w->npos)) {
            const ucontext_t *uc = ucv;
#if defined(__x86_64__)
            uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#else
            uintptr_t pc = 0;
            (void)uc;
#endif
            /* The trap's pc is the instruction after the access. */
            cw_access_info info = { .write = -1, .atomic = -1, .late = late, .pc = pc, .pc_exact = false };
            cw_on_access(w, slot, pos, &info);
        }
        atomic_fetch_sub(&w->inflight, 1);
    }
    if (self)
        self->depth--;
    errno = saved;
}

static bool hw_still_installed(void)
{
    struct sigaction cur;
    return sigaction(SIGTRAP, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == sigtrap_handler;
}

static bool hw_start(char *why, size_t len)
{
    if (hw_still_installed())
        return true;   /* a fork child: old_trap came along */
    /* A trap says which word, not whether the access read or wrote it, nor
     * whether it was atomic: the instruction does (access_insn.h), so the
     * decoder is loaded now, before any trap (a handler cannot dlopen). */
#if defined(__x86_64__)
    if (!cw_insn_load()) {
        snprintf(why, len, "hardware watchpoints need the Zydis decoder (libzydis4.0), not installed");
        return false;
    }
#else
    snprintf(why, len, "hardware watchpoints need x86-64 (the access is told by its instruction)");
    return false;
#endif
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = sigtrap_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    if (sigaction(SIGTRAP, &sa, &old_trap) != 0) {
        snprintf(why, len, "cannot install a SIGTRAP handler (%s)", strerror(errno));
        return false;
    }
    return true;
}

/* One debug register per thread and word: a read from a write is told by
 * the trapping instruction (access_insn.h), not by a second, counting
 * watchpoint — so four words are watched at once, not two. */
static int hw_pos_open(cw_watch *w, unsigned slot, int pos, pid_t tid)
{
    uint32_t gen = atomic_load(&w->gen);
    int fd = cw_wp_open(tid, w->addr, w->len, CW_WP_ACCESS, cw_watch_cookie(gen, slot, (unsigned)pos));
    if (fd < 0)
        return fd;
    w->fd[pos] = fd;
    w->id[pos] = cw_wp_id(fd);
    return 0;
}

static void hw_pos_close(cw_watch *w, int pos)
{
    cw_wp_close(w->fd[pos], w->id[pos]);
}

static int hw_pos_enable(cw_watch *w, int pos) { return cw_wp_enable(w->fd[pos]); }
static int hw_pos_disable(cw_watch *w, int pos) { return cw_wp_disable(w->fd[pos]); }

static int hw_pos_set_type(cw_watch *w, unsigned slot, int pos, cw_wp_type type)
{
    return cw_wp_retarget(w->fd[pos], w->addr, w->len, type, cw_watch_cookie(atomic_load(&w->gen), slot, (unsigned)pos));
}

static int hw_pos_retarget(cw_watch *w, unsigned slot, int pos)
{
    int rc = cw_wp_retarget(w->fd[pos], w->addr, w->len, CW_WP_ACCESS,
                            cw_watch_cookie(atomic_load(&w->gen), slot, (unsigned)pos));
    if (rc == 0)
        rc = cw_wp_reset(w->fd[pos]);
    return rc;
}

static bool hw_pos_counts(cw_watch *w, int pos, uint64_t *accesses)
{
    return cw_wp_counts(w->fd[pos], accesses);
}

static void hw_word_nothing(cw_watch *w) { (void)w; }

static uint64_t hw_trap_cost_ns(void) { return cw_flags.race_trap_cost_ns; }

static void hw_after_fork_child(void) {}

const cw_watch_backend cw_backend_hw = {
    .name = "hardware watchpoints",
    .per_thread = true,
    .max_slots = 4,              /* x86 has 4 debug registers: one per word */
    .counts_switches = true,
    .start = hw_start,
    .still_installed = hw_still_installed,
    .pos_open = hw_pos_open,
    .pos_close = hw_pos_close,
    .pos_enable = hw_pos_enable,
    .pos_disable = hw_pos_disable,
    .pos_set_type = hw_pos_set_type,
    .pos_retarget = hw_pos_retarget,
    .pos_counts = hw_pos_counts,
    .word_arm = hw_word_nothing,
    .word_disarm = hw_word_nothing,
    .trap_cost_ns = hw_trap_cost_ns,
    .after_fork_child = hw_after_fork_child,
};

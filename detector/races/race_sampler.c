#define _GNU_SOURCE
#include "race_sampler.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "access_insn.h"
#include "race_candidates.h"
#include "watchpoints.h"
#include "common/clock.h"
#include "common/code_map.h"
#include "common/shim_flags.h"
#include "events/lock_events.h"
#include "events/record_writer.h"
#include "events/thread_state.h"
#include "stacks/stack_capture.h"

/*
 * Vocabulary.  A *slot* is one watched cell (a "word" below: a scalar of a
 * variable, race_candidates.h): on every watched thread a pair
 * of debug registers (watchpoints.h) — an access watchpoint that traps, and
 * a write counter that tells the handler whether the access was a write.
 * A slot's *round* ends with one pause (or none); the sampler thread
 * concludes it at its next *tick* (every 10 ms) or at once when a paused
 * thread has seen the other side.  The handler runs in the accessing thread
 * and only uses system calls, atomics and the unwinder (as the hang
 * watcher's capture handler does).
 */

#define NSLOTS 2                 /* words watched at once: 4 x86 debug registers, 2 per word */
#define MAX_POS 64               /* threads per slot, counting ended ones until the slot is rebuilt */
#define MAX_LIVE 32              /* threads watched at once */
#define MAX_HELD_COPY 8
#define MS CW_MS
/* Tunables: detector/common/shim_flags.inc. */
#define TICK_NS cw_flags.race_tick_ns
#define TURN_NS cw_flags.race_turn_ns              /* a word's turn when there are more words than slots */
#define RESTALL_NS cw_flags.race_restall_ns        /* first re-pause of a word only one thread writes */
#define MULTI_WRITER_PAUSES cw_flags.race_multi_writer_pauses
#define TRAP_COST_NS cw_flags.race_trap_cost_ns    /* a trap and its signal, as measured in a VM */
/* Per watchpoint, each time a watched thread gets a CPU: measured in a VM on
 * samples/semaphore_handoff (~100k switches, 4 watchpoints armed throughout:
 * +2.3 s), where 1.5 us (a micro-benchmark's figure) had kept the sampling
 * at 1.4x instead of the 5% budget. */
#define SWITCH_COST_NS cw_flags.race_switch_cost_ns
#define ALLOWANCE_NS cw_flags.race_allowance_ns    /* spent before the budget applies */
#define FIRST_ALLOWANCE_NS cw_flags.race_first_allowance_ns
#define STALL_MAX_NS cw_flags.race_stall_max_ns
#define LINGER_NS cw_flags.race_linger_ns          /* a non-paused access waits this long for a writer trapping with it, */
#define LINGER_PENDING_NS cw_flags.race_linger_pending_ns /* or this long when another thread's trap is on its way */
#define MIN_READ_GAP_NS cw_flags.race_min_read_gap_ns /* reads closer than this: the thread's reads are not watched this tick */
#define RATE_NS cw_flags.race_rate_ns              /* how often the threads' wake-up rates are measured */
#define LONG_BREAK_NS cw_flags.race_long_break_ns  /* over budget for this long: the watchpoints are closed, not disabled */
#define IDLE_TICKS cw_flags.race_idle_ticks        /* ticks with every thread blocked before the sampler leaves */
#define MAGIC 0xC3A5ull

enum { IDLE, ARMED, STALLING, DONE };
enum { STALL_NEVER, STALL_NEW_WRITER, STALL_ANY };

typedef struct held_copy {
    uintptr_t addr;
    cw_stack_id stack;
    uint8_t kind, read;
} held_copy;

/* One access as the trapping thread saw it. */
typedef struct race_access {
    uint32_t thread;
    bool write;
    int npcs;
    uintptr_t pcs[CW_MAX_FRAMES];
    int nheld;
    held_copy held[MAX_HELD_COPY];
} race_access;

typedef struct watch {
    _Atomic uint32_t gen;              /* cookie generation; 0 = slot free (no events) */
    _Atomic int parked;                /* no word, events kept (disabled) for the next one */
    _Atomic int state;
    _Atomic int inflight;              /* handlers inside this slot */
    size_t var;
    uint64_t word;
    uintptr_t addr;
    unsigned len;
    uint64_t since_ns;                 /* when the word got this slot */
    /* One position per watched thread. */
    _Atomic int npos;
    pid_t tid[MAX_POS];
    uint32_t index[MAX_POS];
    cw_thread *thr[MAX_POS];
    int fd[MAX_POS], wfd[MAX_POS];     /* access watchpoint (signals), write counter */
    uint64_t id[MAX_POS], wid[MAX_POS];
    _Atomic uint8_t type[MAX_POS];     /* the access watchpoint's cw_wp_type now */
    _Atomic uint8_t armed[MAX_POS];    /* enabled; a handler clears it when it disables its own */
    _Atomic uint8_t deaf[MAX_POS];     /* SIGTRAP blocked there: not watched */
    _Atomic uint32_t handled[MAX_POS];
    uint64_t last_read_ns[MAX_POS];    /* this thread's last trap that did not pause */
    _Atomic uint8_t deciding[MAX_POS]; /* a write trapped, its handler has not decided to pause or not */
    _Atomic uint8_t busy[MAX_POS];     /* this thread is in the handler for this slot */
    uint64_t last_writes[MAX_POS];     /* the write counter as this thread's handler last read it */
    atomic_flag pos_lock;              /* adding positions: the sampler, or a paused thread */
    /* Policy of this round, set by the sampler. */
    _Atomic int stall_level;
    _Atomic uint64_t known_writers;    /* thread indices mod 64 */
    /* Evidence. */
    _Atomic int stall_pos;             /* who pauses, -1 nobody yet */
    race_access first;
    _Atomic int second_claimed, second_ready;
    race_access second;
    _Atomic uint64_t probe_writers;    /* writes seen without a pause */
    _Atomic int saw_runtime, saw_atomic;
    _Atomic uint64_t stall_ns;
    _Atomic int verdict_pending;       /* the paused thread waits for the sampler's conclusion */
    char why[512];                     /* CONCWATCH_RACE_DEBUG: how the pause went */
} watch;

/* What the sampler learnt about a variable. */
typedef struct var_state {
    uint64_t writers;
    uint64_t bad_words;                /* words < 64 written by the C library, or atomically */
    uint64_t cursor;
    uint32_t stalls;                   /* pauses that saw nobody else */
    uint32_t turns;
    uint64_t last_turn_ns, last_stall_ns;
    bool retired, written, assigned;
    /* An object a thread was started with: who passed it, and where. */
    bool is_arg;
    uint32_t passed_by;
    cw_stack_id passed_stack;
} var_state;


static atomic_int started;
static atomic_int first_start_done;
static atomic_int stopping;
static atomic_int suspended;           /* over budget: every watchpoint off for a while */
static watch watches[NSLOTS];
static struct sigaction old_trap;
#define stall_len_ns cw_flags.race_stall_ns
#define budget_permille ((uint64_t)(cw_flags.race_budget * 10))
static atomic_ullong ntraps;
static _Atomic uint32_t wake_word;     /* futex: a paused thread has evidence for the sampler */
static uint32_t next_gen;
static cw_race_vars vars;
static var_state *vstate;
static size_t nactive;                 /* variables not retired */
static int max_live = MAX_LIVE;
static int max_pos = MAX_POS;
static bool reported_refusal;
static atomic_int any_granted;         /* a breakpoint was opened once in this process */
static uint64_t started_ns;            /* when the first pthread_create started the sampler */

/* Objects threads were started with (pthread_create's argument), handed
 * over by pthread_create through a small lossy ring and made candidates by
 * the sampler.  vars.v and vstate have room for them from the start: the
 * trap handlers read vars.v, which must never move. */
#define MAX_ARG_VARS 32
#define ARG_RING 64
static struct {
    _Atomic uintptr_t arg;
    _Atomic uint32_t creator;
    _Atomic cw_stack_id stack;
} arg_ring[ARG_RING];
static _Atomic uint32_t arg_next;
static cw_race_cell arg_cells[MAX_ARG_VARS][CW_RACE_ARG_CELLS];
static char arg_names[MAX_ARG_VARS][16];
static size_t narg_vars;
static size_t vars_capacity;
static bool debug;                     /* CONCWATCH_RACE_DEBUG=1: the sampler's decisions on stderr */

__attribute__((format(printf, 1, 2))) static void debugf(const char *fmt, ...)
{
    if (!debug)
        return;
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0 && write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
        return;
}

/* The sampler's sleep, cut short when a paused thread has a pair of accesses. */
static void sampler_sleep(uint64_t ns)
{
    uint32_t seen = atomic_load(&wake_word);
    struct timespec ts = cw_timespec_of(ns);
    syscall(SYS_futex, &wake_word, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
}

static void wake_sampler(void)
{
    atomic_fetch_add(&wake_word, 1);
    syscall(SYS_futex, &wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static uint64_t cookie_of(uint32_t gen, unsigned slot, unsigned pos)
{
    return MAGIC << 48 | (uint64_t)(gen & 0xffffff) << 24 | (uint64_t)slot << 8 | pos;
}

/* ---- threads' scheduling, from /proc (async-signal-safe) ---------------- */

static ssize_t read_task_file(pid_t tid, const char *name, char *buf, size_t size)
{
    /* "/proc/self/task/<tid>/<name>", without stdio (this runs in handlers). */
    char path[64], digits[16];
    size_t at = 0, nd = 0;
    for (unsigned v = (unsigned)tid; nd == 0 || v; v /= 10)
        digits[nd++] = (char)('0' + v % 10);
    const char *prefix = "/proc/self/task/";
    if (strlen(prefix) + nd + 1 + strlen(name) + 1 > sizeof path)
        return -1;
    memcpy(path, prefix, strlen(prefix));
    at = strlen(prefix);
    while (nd)
        path[at++] = digits[--nd];
    path[at++] = '/';
    memcpy(path + at, name, strlen(name) + 1);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t len = read(fd, buf, size - 1);
    close(fd);
    if (len >= 0)
        buf[len] = '\0';
    return len;
}

/* CPU time had (ns; the kernel updates it at scheduler ticks) and how many
 * times the thread got a CPU. */
static bool task_sched(pid_t tid, uint64_t *run, uint64_t *slices)
{
    char buf[128];
    if (read_task_file(tid, "schedstat", buf, sizeof buf) <= 0)
        return false;
    uint64_t v[3] = { 0, 0, 0 };
    const char *p = buf;
    for (int f = 0; f < 3; f++) {
        while (*p == ' ')
            p++;
        while (*p >= '0' && *p <= '9')
            v[f] = v[f] * 10 + (uint64_t)(*p++ - '0');
    }
    *run = v[0];
    *slices = v[2];
    return true;
}

/* Running or waiting for a CPU ('R'). */
static bool task_runnable(pid_t tid)
{
    char buf[64];
    if (read_task_file(tid, "stat", buf, sizeof buf) <= 0)
        return false;
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && paren[2] == 'R';
}

/* How often each thread gets a CPU, measured by the sampler now and then:
 * a thread asleep but waking every millisecond or so (a poller) will run
 * again within a pause; one asleep for long will not. */
#define WAKE_TABLE 64
static struct {
    _Atomic pid_t tid;
    _Atomic uint32_t period_us;        /* mean time between two runs; 0 = unknown */
} wake_table[WAKE_TABLE];

static uint32_t wake_period_us(pid_t tid)
{
    for (int i = 0; i < WAKE_TABLE; i++)
        if (atomic_load(&wake_table[i].tid) == tid)
            return atomic_load(&wake_table[i].period_us);
    return 0;
}

/* ---- the trap handler (runs in the accessing thread) -------------------- */

static bool pos_alive(const watch *w, int i)
{
    const cw_thread *t = w->thr[i];
    return w->fd[i] >= 0 && t && !atomic_load(&w->deaf[i]) && atomic_load(&t->alive) && t->tid == w->tid[i];
}

static void disable_own(watch *w, unsigned pos)
{
    cw_wp_disable(w->fd[pos]);
    atomic_store(&w->armed[pos], 0);
}

static bool set_type(watch *w, unsigned slot, int i, cw_wp_type type)
{
    if (atomic_load(&w->type[i]) == type)
        return true;
    atomic_store(&w->type[i], (uint8_t)type);
    return cw_wp_retarget(w->fd[i], w->addr, w->len, type, cookie_of(atomic_load(&w->gen), slot, (unsigned)i)) == 0;
}

static void fill_access(race_access *a, uint32_t thread, bool write, uintptr_t pc)
{
    a->thread = thread;
    a->write = write;
    /* The unwinder starts in this handler; keep the interrupted frame and its callers. */
    int n = cw_capture_pcs(pc, a->pcs, CW_MAX_FRAMES);
    if (n <= 0 || a->pcs[0] != pc) {
        a->pcs[0] = pc;
        n = 1;
    }
    a->npcs = n;
    a->nheld = 0;
    const cw_thread *t = cw_tls_self;
    if (!t)
        return;
    uint32_t nheld = t->nheld < CW_MAX_HELD ? t->nheld : CW_MAX_HELD;
    for (uint32_t i = 0; i < nheld && a->nheld < MAX_HELD_COPY; i++)
        a->held[a->nheld++] = (held_copy){ t->held[i].addr, t->held[i].stack, t->held[i].kind, t->held[i].read };
}

static bool add_pos(watch *w, unsigned slot, cw_thread *t, pid_t tid, uint32_t index, bool in_handler);
static bool has_pos(const watch *w, pid_t tid, const cw_thread *t);

typedef struct extend_ctx {
    watch *w;
    unsigned slot;
    int added;
} extend_ctx;

static void extend_visit(cw_thread *t, void *arg)
{
    extend_ctx *x = arg;
    if (!t->tid || has_pos(x->w, t->tid, t) || !add_pos(x->w, x->slot, t, t->tid, t->index, true))
        return;
    int pos = atomic_load(&x->w->npos) - 1;
    if (cw_wp_enable(x->w->fd[pos]) == 0)
        atomic_store(&x->w->armed[pos], 1);
    x->added++;
}

#define TRACKED 8
#define ENOUGH_CPU_NS (1 * MS)

/* The thread is in one of our trap handlers (perf's system calls can keep it
 * there for milliseconds on a loaded machine): it runs the program again
 * soon, and may touch the word then. */
static bool thread_in_handler(pid_t tid)
{
    for (unsigned s = 0; s < NSLOTS; s++) {
        watch *w = &watches[s];
        int n = atomic_load(&w->npos);
        for (int i = 0; i < n; i++)
            if (w->tid[i] == tid && atomic_load(&w->busy[i]))
                return true;
    }
    return false;
}

/* The other side has come and records its stack (a first unwind through a
 * library can take milliseconds): the pair is complete when it is done. */
static void wait_for_second(watch *w)
{
    for (int i = 0; i < 1000 && atomic_load(&w->second_claimed) && !atomic_load(&w->second_ready); i++) {
        struct timespec ts = { 0, 100 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* The pause: at least stall_len_ns, cut short when the other side shows
 * up.  Longer (up to STALL_MAX_NS) while another watched thread has not yet
 * had its chance to touch the word: it is runnable but has hardly had a CPU
 * (a loaded machine), or it is asleep outside any lock wait but usually
 * wakes up well within the maximum pause and has not woken since (a thread
 * polling a flag).  A thread blocked in a lock, condition or join is not
 * waited for: it moves only when another thread lets it. */
/* The paused thread (the caller) holds this lock exclusively. */
static bool held_exclusively_by_me(uintptr_t addr)
{
    const cw_thread *me = cw_tls_self;
    if (!me)
        return false;
    uint32_t n = me->nheld < CW_MAX_HELD ? me->nheld : CW_MAX_HELD;
    for (uint32_t i = 0; i < n; i++) {
        const cw_held_lock *h = &me->held[i];
        if (h->addr == addr && !h->read &&
            (h->kind == CW_KIND_MUTEX || h->kind == CW_KIND_SPINLOCK || h->kind == CW_KIND_RWLOCK))
            return true;
    }
    return false;
}

/* Every other watched thread is stuck behind the paused one: it waits, with
 * no timeout, for a lock the paused thread holds, or joins the paused thread
 * or a thread stuck so.  None can return from its call, let alone touch the
 * word, before the pause ends, so waiting longer only stalls the program (a
 * thread paused inside a critical section that everyone else queues for). */
static bool others_wait_for_me(const watch *w, const int *idx, int k, int n_others)
{
    const cw_thread *me = cw_tls_self;
    if (!me || k == 0 || k < n_others)
        return false;   /* a thread not tracked could still come */
    bool stuck[TRACKED] = { false };
    int nstuck = 0, alive = 0;
    for (int j = 0; j < k; j++)
        if (!pos_alive(w, idx[j]))
            stuck[j] = true, nstuck++;
        else
            alive++;
    if (alive == 0)
        return false;
    for (bool changed = true; changed;) {
        changed = false;
        for (int j = 0; j < k; j++) {
            const cw_thread *t = w->thr[idx[j]];
            if (stuck[j] || !t)
                continue;
            uintptr_t addr = atomic_load(&t->wait.addr);
            uint32_t kind = atomic_load(&t->wait.kind);
            if (!addr || (kind & CW_WAIT_TIMED))
                continue;
            bool behind = false;
            if ((kind & 0xffu) == CW_KIND_THREAD) {
                if (addr == (uintptr_t)me->self)
                    behind = true;
                for (int i = 0; i < k && !behind; i++)
                    behind = stuck[i] && w->thr[idx[i]] && addr == (uintptr_t)w->thr[idx[i]]->self;
            } else {
                behind = held_exclusively_by_me(addr);
            }
            if (behind)
                stuck[j] = true, nstuck++, changed = true;
        }
    }
    return nstuck == k;
}

static void pause_for_others(watch *w, unsigned pos, uint64_t t0)
{
    int idx[TRACKED];
    uint64_t run0[TRACKED], slices0[TRACKED];
    int k = 0, n_others = 0, n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++) {
        if (i == (int)pos || !pos_alive(w, i))
            continue;
        n_others++;
        if (k < TRACKED && task_sched(w->tid[i], &run0[k], &slices0[k]))
            idx[k++] = i;
    }
    for (;;) {
        struct timespec ts = { 0, 100 * 1000 };
        nanosleep(&ts, NULL);
        if (atomic_load(&w->second_claimed))
            return;
        uint64_t elapsed = cw_now_ns() - t0;
        if (elapsed >= STALL_MAX_NS)
            return;
        if (atomic_load(&w->npos) == n && others_wait_for_me(w, idx, k, n_others)) {
            if (debug)
                snprintf(w->why, sizeof w->why, " every other thread waits for a lock the paused one holds");
            return;
        }
        if (elapsed < stall_len_ns)
            continue;
        bool waiting = false;
        size_t len = 0;
        for (int j = 0; j < k && !waiting; j++) {
            pid_t tid = w->tid[idx[j]];
            uint64_t run, slices;
            if (!task_sched(tid, &run, &slices))
                continue;
            bool runnable = task_runnable(tid);
            uint32_t period = wake_period_us(tid);
            const cw_thread *t = w->thr[idx[j]];
            bool lock_wait = t && atomic_load(&t->wait.addr) != 0;
            if (thread_in_handler(tid))
                waiting = true;
            else if (runnable && run - run0[j] < ENOUGH_CPU_NS)
                waiting = true;
            else if (!runnable && !lock_wait && slices == slices0[j] && period && period * 1000ull * 2 < STALL_MAX_NS)
                waiting = true;
            if (debug && len < sizeof w->why - 128)
                len += (size_t)snprintf(w->why + len, sizeof w->why - len,
                                        " [T%u %s%s, ran %llu us, woke %llu times, wakes every %u us]",
                                        w->index[idx[j]], runnable ? "runnable" : "asleep",
                                        lock_wait ? " in a lock wait" : "", (unsigned long long)(run - run0[j]) / 1000,
                                        (unsigned long long)(slices - slices0[j]), period);
        }
        if (!waiting)
            return;
    }
}

static void stall(watch *w, unsigned slot, unsigned pos, uintptr_t pc)
{
    atomic_store(&w->state, STALLING);
    atomic_store(&w->deciding[pos], 0);
    atomic_fetch_add(&w->handled[pos], 1);
    uint64_t t0 = cw_now_ns();
    /* First of all (the other side may come any moment): every other
     * thread's read or write of the word traps from now on. */
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++)
        if (i != (int)pos && w->fd[i] >= 0 && !atomic_load(&w->deaf[i]) && set_type(w, slot, i, CW_WP_ACCESS) &&
            cw_wp_enable(w->fd[i]) == 0)
            atomic_store(&w->armed[i], 1);
    /* So do threads started since the sampler armed the word. */
    extend_ctx x = { w, slot, 0 };
    if (!atomic_flag_test_and_set(&w->pos_lock)) {
        cw_thread_for_each(extend_visit, &x);
        atomic_flag_clear(&w->pos_lock);
    }
    fill_access(&w->first, w->index[pos], true, pc);
    n = atomic_load(&w->npos);
    bool others = false;
    for (int i = 0; i < n; i++)
        others |= i != (int)pos && pos_alive(w, i);
    w->why[0] = '\0';
    if (others)
        pause_for_others(w, pos, t0);
    wait_for_second(w);
    /* With a pair, stay until the sampler has judged (and reported) it: the
     * program could otherwise end before the finding is written.  Bounded:
     * a sampler that does not answer is not waited for. */
    bool pair = atomic_load(&w->second_ready);
    if (pair)
        atomic_store(&w->verdict_pending, 1);
    atomic_store(&w->stall_ns, cw_now_ns() - t0);
    atomic_store(&w->state, DONE);
    for (int i = 0; i < n; i++)
        if (w->fd[i] >= 0) {
            cw_wp_disable(w->fd[i]);
            atomic_store(&w->armed[i], 0);
        }
    debugf("race: T%u paused %llu us after writing `%s`: %s (%d threads added)%s%s\n", w->index[pos],
           (unsigned long long)(cw_now_ns() - t0) / 1000, vars.v[w->var].name,
           pair ? "the other side came" : others ? "nobody came" : "no other thread", x.added, w->why[0] ? ";" : "",
           w->why);
    if (pair) {
        wake_sampler();
        for (int i = 0; i < 2000 && atomic_load(&w->verdict_pending); i++) {
            struct timespec ts = { 0, 100 * 1000 };
            nanosleep(&ts, NULL);
        }
    }
}

/* Another watched thread has written the word and its handler has not yet
 * decided whether it pauses: its events counted the write (the kernel
 * counts in the debug exception, before the signal) and `handled`, which
 * counts decided traps, is behind. */
static bool write_pending_elsewhere(watch *w, unsigned pos)
{
    int n = atomic_load(&w->npos), checked = 0;
    for (int i = 0; i < n && checked < TRACKED; i++) {
        if (i == (int)pos || !pos_alive(w, i))
            continue;
        checked++;
        uint64_t accesses, writes;
        if (atomic_load(&w->deciding[i]) ||
            (cw_wp_counts(w->fd[i], &accesses, &writes) && accesses > atomic_load(&w->handled[i]) &&
             writes > w->last_writes[i]))
            return true;
    }
    return false;
}

/* A trap that does not pause: did a writer trap at the same moment?  Both
 * threads are then still right after their accesses, a pair as good as one
 * in a pause.  Waits a few microseconds for the writer's handler to say so,
 * longer (up to LINGER_PENDING_NS) while another thread's write is known to
 * have trapped (its thread may be waiting for a CPU).  Returns the state. */
static int linger(watch *w, unsigned pos)
{
    int state;
    uint64_t t0 = cw_now_ns();
    while ((state = atomic_load(&w->state)) == ARMED && cw_now_ns() - t0 < LINGER_NS)
        cw_cpu_relax();
    while (state == ARMED && cw_now_ns() - t0 < LINGER_PENDING_NS && write_pending_elsewhere(w, pos)) {
        struct timespec ts = { 0, 20 * 1000 };
        nanosleep(&ts, NULL);
        state = atomic_load(&w->state);
    }
    /* Read again: a writer that decided to pause made it STALLING first. */
    return atomic_load(&w->state);
}

static void record_second(watch *w, unsigned pos, uintptr_t pc, bool write)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&w->second_claimed, &expected, 1))
        return;
    fill_access(&w->second, w->index[pos], write, pc);
    atomic_store(&w->second_ready, 1);
}

/*
 * A trap: the thread has just made the access and runs nothing more until
 * this returns.  In a round (ARMED) every thread's accesses trap: a write
 * pauses its thread when the policy allows; anything else waits a few
 * microseconds for a writer pausing at the same moment (two threads woken by
 * one timer tick), then the thread stays watched (writes only, once it has
 * trapped often in this tick).  While a writer is paused (STALLING), any
 * access of another thread is the other side of a race.
 */
/* This trap will not pause its thread: others need not wait for it. */
static void decided(watch *w, unsigned pos)
{
    atomic_store(&w->deciding[pos], 0);
    atomic_fetch_add(&w->handled[pos], 1);
}

static void handle_trap(watch *w, unsigned slot, unsigned pos, bool late, const ucontext_t *uc)
{
    disable_own(w, pos);
    if (late) {
        decided(w, pos);
        return;   /* the thread had SIGTRAP blocked: it has moved on since the access */
    }
#if defined(__x86_64__)
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#else
    uintptr_t pc = 0;
    (void)uc;
#endif
    uint64_t accesses, writes;
    bool write;
    if (cw_wp_counts(w->fd[pos], &accesses, &writes)) {
        write = writes != w->last_writes[pos];
        if (write)
            atomic_store(&w->deciding[pos], 1);
        w->last_writes[pos] = writes;
    } else {
        write = atomic_load(&w->type[pos]) == CW_WP_WRITE;
    }
    const cw_code_range *cr = cw_code_map_find(pc);
    int state = atomic_load(&w->state);
    if (!cr || cr->owner != CW_CODE_PROGRAM) {
        if (cr && state == ARMED && write)
            atomic_store(&w->saw_runtime, 1);   /* the inside of a pthread object, or the like */
        decided(w, pos);
        return;
    }
    if (cw_access_was_atomic(pc, cr->lo, cr->hi)) {
        /* A word some thread accesses atomically is a synchronisation
         * variable (a hand-made lock, a flag): its plain accesses may be
         * release stores and acquire loads, which a watchpoint cannot tell
         * from plain ones.  Not watched any more. */
        atomic_store(&w->saw_atomic, 1);
        decided(w, pos);
        return;
    }
    uint32_t me = w->index[pos];
    bool probe = false;
    if (state == ARMED && write) {
        int level = atomic_load(&w->stall_level);
        bool new_writer = !((atomic_load(&w->known_writers) >> (me & 63)) & 1);
        if (level == STALL_ANY || (level == STALL_NEW_WRITER && new_writer)) {
            int expected = -1;
            if (atomic_compare_exchange_strong(&w->stall_pos, &expected, (int)pos)) {
                stall(w, slot, pos, pc);
                return;
            }
        } else {
            atomic_fetch_or(&w->probe_writers, 1ull << (me & 63));
            probe = true;
        }
    }
    decided(w, pos);
    if (state == ARMED)
        state = linger(w, pos);
    if (state == ARMED) {
        /* Keep watching this thread: its reads too while they are rare (a
         * thread polling a flag), only its writes for the rest of the tick
         * once they come fast; a writer that was not paused is left alone
         * until the next tick (it may write in a loop). */
        uint64_t now = cw_now_ns();
        bool rare = now - w->last_read_ns[pos] >= MIN_READ_GAP_NS;
        w->last_read_ns[pos] = now;
        if (!probe && !atomic_load(&suspended) && (rare || set_type(w, slot, (int)pos, CW_WP_WRITE)) &&
            cw_wp_enable(w->fd[pos]) == 0)
            atomic_store(&w->armed[pos], 1);
        return;
    }
    if (state == STALLING && atomic_load(&w->stall_pos) != (int)pos)
        record_second(w, pos, pc, write);
}

static void on_trap(watch *w, unsigned slot, unsigned pos, bool late, const ucontext_t *uc)
{
    atomic_store(&w->busy[pos], 1);
    handle_trap(w, slot, pos, late, uc);
    atomic_store(&w->busy[pos], 0);
}

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

static void sigtrap_handler(int sig, siginfo_t *si, void *uc)
{
    uint64_t cookie;
    bool late;
    if (!cw_wp_decode(si, &cookie, &late) || (cookie >> 48) != MAGIC) {
        chain_sigtrap(sig, si, uc);
        return;
    }
    int saved = errno;
    atomic_fetch_add_explicit(&ntraps, 1, memory_order_relaxed);
    unsigned slot = (unsigned)(cookie >> 8) & 0xff, pos = (unsigned)cookie & 0xff;
    uint32_t gen = (uint32_t)(cookie >> 24) & 0xffffff;
    /* The unwinder takes its own mutex: the shim must forward that call
     * untouched (as it does for any call made from inside the shim). */
    cw_thread *self = cw_tls_self;
    if (self)
        self->depth++;
    if (slot < NSLOTS) {
        watch *w = &watches[slot];
        atomic_fetch_add(&w->inflight, 1);
        if (atomic_load(&w->gen) == gen && pos < (unsigned)atomic_load(&w->npos))
            on_trap(w, slot, pos, late, uc);
        atomic_fetch_sub(&w->inflight, 1);
    }
    if (self)
        self->depth--;
    errno = saved;
}

static bool handler_is_ours(void)
{
    struct sigaction cur;
    return sigaction(SIGTRAP, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == sigtrap_handler;
}

/* ---- slots (sampler thread) --------------------------------------------- */

typedef struct live {
    cw_thread *t[MAX_LIVE];
    pid_t tid[MAX_LIVE];
    uint32_t index[MAX_LIVE];
    int n;
    int total, blocked;        /* all threads, and those in an intercepted wait without timeout */
} live;

static void live_visit(cw_thread *t, void *arg)
{
    live *l = arg;
    l->total++;
    if (atomic_load(&t->wait.addr) && !(atomic_load(&t->wait.kind) & CW_WAIT_TIMED))
        l->blocked++;
    if (l->n < max_live) {
        l->t[l->n] = t;
        l->tid[l->n] = t->tid;
        l->index[l->n] = t->index;
        l->n++;
    }
}

/* Also returns how many times the threads got a CPU since the last call:
 * each switch to a thread that has watchpoints loads its debug registers,
 * which costs (a VM exit in a virtual machine). */
static uint64_t measure_wake_periods(const live *l, uint64_t now)
{
    static struct { pid_t tid; uint64_t slices, at_ns; } prev[WAKE_TABLE], cur[WAKE_TABLE];
    static int nprev;
    int ncur = 0;
    uint64_t switches = 0;
    for (int i = 0; i < l->n && ncur < WAKE_TABLE; i++) {
        uint64_t run, slices;
        if (!task_sched(l->tid[i], &run, &slices))
            continue;
        uint32_t period = 0;
        for (int j = 0; j < nprev; j++)
            if (prev[j].tid == l->tid[i] && slices > prev[j].slices) {
                uint64_t us = (now - prev[j].at_ns) / 1000 / (slices - prev[j].slices);
                period = us ? (us < UINT32_MAX ? (uint32_t)us : UINT32_MAX) : 1;
                switches += slices - prev[j].slices;
            }
        cur[ncur].tid = l->tid[i];
        cur[ncur].slices = slices;
        cur[ncur].at_ns = now;
        atomic_store(&wake_table[ncur].period_us, period);
        atomic_store(&wake_table[ncur].tid, l->tid[i]);
        ncur++;
    }
    for (int j = ncur; j < WAKE_TABLE; j++)
        atomic_store(&wake_table[j].tid, 0);
    memcpy(prev, cur, sizeof cur);
    nprev = ncur;
    return switches;
}

static void wait_idle(watch *w)
{
    while (atomic_load(&w->inflight) > 0)
        cw_sleep_ns(100 * 1000);
}

static void refuse(int err)
{
    atomic_store(&stopping, 1);
    if (reported_refusal)
        return;
    reported_refusal = true;
    char line[160];
    int n = snprintf(line, sizeof line, "concwatch: hardware watchpoints not permitted here (%s); data-race sampling off\n",
                     strerror(err));
    if (n > 0 && write(2, line, (size_t)n) < 0)
        return;
}

static bool has_pos(const watch *w, pid_t tid, const cw_thread *t)
{
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++)
        if (w->fd[i] >= 0 && w->tid[i] == tid && w->thr[i] == t)
            return true;
    return false;
}

/* Watches the slot's word on one more thread (disabled; the caller enables).
 * False when it cannot: the thread ended, its debug registers are taken
 * (a debugger), the slot is full; the sampler stops altogether when the
 * kernel refuses breakpoints. */
static bool add_pos(watch *w, unsigned slot, cw_thread *t, pid_t tid, uint32_t index, bool in_handler)
{
    int pos = atomic_load(&w->npos);
    if (pos >= max_pos)
        return false;
    uint32_t gen = atomic_load(&w->gen);
    int fd = cw_wp_open(tid, w->addr, w->len, CW_WP_ACCESS, cookie_of(gen, slot, (unsigned)pos));
    int wfd = fd >= 0 ? cw_wp_open_write_counter(tid, w->addr, w->len, fd) : fd;
    if (fd < 0 || wfd < 0) {
        int err = fd < 0 ? -fd : -wfd;
        if (fd >= 0)
            close(fd);
        /* A refusal says so only before any breakpoint was granted: after
         * that, an error is about this thread (one that is exiting gets
         * ENODEV or ESRCH; measured with 30 000 short-lived threads). */
        if (!in_handler && !atomic_load(&any_granted) &&
            (err == EACCES || err == EPERM || err == ENOENT || err == ENODEV || err == EOPNOTSUPP || err == ENOSYS ||
             (err == EINVAL && pos == 0)))
            refuse(err);
        return false;
    }
    atomic_store(&any_granted, 1);
    w->fd[pos] = fd;
    w->wfd[pos] = wfd;
    w->id[pos] = cw_wp_id(fd);
    w->wid[pos] = cw_wp_id(wfd);
    w->tid[pos] = tid;
    w->index[pos] = index;
    w->thr[pos] = t;
    w->last_writes[pos] = 0;
    atomic_store(&w->type[pos], CW_WP_ACCESS);
    atomic_store(&w->armed[pos], 0);
    atomic_store(&w->handled[pos], 0);
    w->last_read_ns[pos] = 0;
    atomic_store(&w->deaf[pos], 0);
    atomic_store(&w->deciding[pos], 0);
    atomic_store(&w->busy[pos], 0);
    atomic_store(&w->npos, pos + 1);
    return true;
}

static void arm_all(watch *w)
{
    if (atomic_load(&suspended))
        return;
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++)
        if (w->fd[i] >= 0 && !atomic_load(&w->armed[i]) && pos_alive(w, i)) {
            atomic_store(&w->armed[i], 1);
            cw_wp_enable(w->fd[i]);
        }
}

static void reset_round(watch *w)
{
    atomic_store(&w->stall_pos, -1);
    atomic_store(&w->second_claimed, 0);
    atomic_store(&w->second_ready, 0);
    atomic_store(&w->probe_writers, 0);
    atomic_store(&w->saw_runtime, 0);
    atomic_store(&w->saw_atomic, 0);
    atomic_store(&w->stall_ns, 0);
    atomic_store(&w->verdict_pending, 0);
    w->first.npcs = w->second.npcs = 0;
}

static void teardown(watch *w)
{
    if (!atomic_load(&w->gen))
        return;
    atomic_store(&w->gen, 0);   /* handlers arriving from now on do nothing */
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++)
        if (w->fd[i] >= 0)
            cw_wp_disable(w->fd[i]);
    wait_idle(w);
    n = atomic_load(&w->npos);   /* a paused thread may have added some */
    for (int i = 0; i < n; i++) {
        cw_wp_close(w->wfd[i], w->wid[i]);
        cw_wp_close(w->fd[i], w->id[i]);
        w->fd[i] = w->wfd[i] = -1;
    }
    atomic_store(&w->npos, 0);
    atomic_store(&w->state, IDLE);
    atomic_store(&w->parked, 0);
    if (w->var < vars.n)
        vstate[w->var].assigned = false;
}

/* The slot's word gives way to another: its events stay open (disabled),
 * to be moved to the next word (cheaper than closing and opening them). */
static void park(watch *w)
{
    if (!atomic_load(&w->gen) || atomic_load(&w->parked))
        return;
    atomic_store(&w->state, IDLE);
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++)
        if (w->fd[i] >= 0) {
            cw_wp_disable(w->fd[i]);
            atomic_store(&w->armed[i], 0);
        }
    wait_idle(w);
    if (w->var < vars.n)
        vstate[w->var].assigned = false;
    atomic_store(&w->parked, 1);
}

/* ---- policy ------------------------------------------------------------- */

static uint64_t cost_ns;           /* pauses + the sampler's CPU + traps */
static uint64_t first_cost_ns;     /* variables' first pauses */
static uint64_t total_stall_ns, switch_cost_ns, cpu_cost_ns;
static uint64_t start_ns;
static uint64_t counted_traps;
static uint64_t tick_count;

static uint64_t allowed_ns(uint64_t now)
{
    return ALLOWANCE_NS + (now - start_ns) / 1000 * budget_permille;
}

/* A variable's first pause is the one most likely to find a race (a flag
 * written once): it has a budget of its own. */
static bool first_pause(const var_state *vs)
{
    return vs->stalls == 0 && __builtin_popcountll(vs->writers) < 2;
}

/* Pause at every write of a word written by two threads or never paused
 * yet; for a word only one thread writes, at a new writer's write and now
 * and then (after 100 ms, 200 ms, ... 3.2 s); never beyond the budget. */
static int stall_level_for(const var_state *vs, uint64_t now)
{
    if (first_pause(vs))
        return first_cost_ns + stall_len_ns <= FIRST_ALLOWANCE_NS + (uint64_t)((double)(now - start_ns) / 100 * cw_flags.race_first_budget)
                   ? STALL_ANY : STALL_NEVER;
    if (cost_ns + stall_len_ns > allowed_ns(now))
        return STALL_NEVER;
    if (vs->stalls == 0)
        return STALL_ANY;
    if (__builtin_popcountll(vs->writers) >= 2) {
        /* Written by several threads and still no pair after a few pauses:
         * most likely always under one lock, where each pause stalls every
         * thread queued for it.  Spaced out from then on (20 ms, 40 ms, ...). */
        if (vs->stalls < MULTI_WRITER_PAUSES)
            return STALL_ANY;
        uint32_t shift = vs->stalls - MULTI_WRITER_PAUSES < 5 ? vs->stalls - MULTI_WRITER_PAUSES : 5;
        return now - vs->last_stall_ns >= (TURN_NS << shift) ? STALL_ANY : STALL_NEW_WRITER;
    }
    uint32_t shift = vs->stalls - 1 < 5 ? vs->stalls - 1 : 5;
    return now - vs->last_stall_ns >= (RESTALL_NS << shift) ? STALL_ANY : STALL_NEW_WRITER;
}

static bool next_word(size_t v, uint64_t *word)
{
    const cw_race_var *c = &vars.v[v];
    var_state *vs = &vstate[v];
    for (uint64_t tries = 0; tries < c->nwords && tries < 4096; tries++) {
        uint64_t k = (vs->cursor + tries) % c->nwords;
        if (k < 64 && ((vs->bad_words >> k) & 1))
            continue;
        vs->cursor = k + 1;
        *word = k;
        return true;
    }
    return false;
}

static void retire(size_t v)
{
    if (!vstate[v].retired) {
        vstate[v].retired = true;
        nactive--;
    }
}

/* The next variable to watch: written by two threads first, then never
 * tried, then written by one, then never seen written; least recently
 * first.  `round_robin`: least recently, whatever it is (so that a few busy
 * variables cannot keep the others from ever being watched). */
static bool choose_var(size_t *out, bool round_robin)
{
    bool found = false;
    uint64_t best = UINT64_MAX;
    for (size_t v = 0; v < vars.n; v++) {
        var_state *vs = &vstate[v];
        if (vs->retired || vs->assigned)
            continue;
        uint64_t cls = round_robin ? 0
                     : __builtin_popcountll(vs->writers) >= 2 ? 0
                     : vs->turns == 0 ? 1
                     : vs->written ? 2 : 3;
        uint64_t rank = (cls << 60) | (vs->last_turn_ns >> 4);
        if (rank < best) {
            best = rank;
            *out = v;
            found = true;
        }
    }
    return found;
}

static void setup(watch *w, unsigned slot, size_t v, const live *l, uint64_t now)
{
    uint64_t word;
    if (!next_word(v, &word)) {
        retire(v);
        return;
    }
    const cw_race_var *c = &vars.v[v];
    var_state *vs = &vstate[v];
    bool reuse = atomic_load(&w->gen) && atomic_load(&w->parked);
    w->var = v;
    w->word = word;
    cw_race_cell_at(c, word, &w->addr, &w->len);
    w->since_ns = now;
    atomic_store(&w->state, IDLE);
    reset_round(w);
    atomic_store(&w->stall_level, stall_level_for(vs, now));
    atomic_store(&w->known_writers, vs->writers);
    if (reuse) {
        /* The parked events move to the new word (no handler can be
         * running: they were disabled and the slot idle since); those of
         * threads that ended are closed. */
        int n = atomic_load(&w->npos);
        for (int i = 0; i < n; i++) {
            if (w->fd[i] < 0)
                continue;
            atomic_store(&w->type[i], CW_WP_ACCESS);
            if (!pos_alive(w, i) ||
                cw_wp_retarget(w->fd[i], w->addr, w->len, CW_WP_ACCESS, cookie_of(atomic_load(&w->gen), slot, (unsigned)i)) != 0 ||
                cw_wp_retarget_counter(w->wfd[i], w->addr, w->len) != 0 || cw_wp_reset(w->fd[i]) != 0) {
                cw_wp_close(w->wfd[i], w->wid[i]);
                cw_wp_close(w->fd[i], w->id[i]);
                w->fd[i] = w->wfd[i] = -1;
                continue;
            }
            w->last_writes[i] = 0;
            w->last_read_ns[i] = 0;
            atomic_store(&w->handled[i], 0);
            atomic_store(&w->deciding[i], 0);
            atomic_store(&w->armed[i], 0);
        }
        atomic_store(&w->parked, 0);
    } else {
        atomic_store(&w->npos, 0);
        next_gen = (next_gen + 1) & 0xffffff;
        if (!next_gen)
            next_gen = 1;
        atomic_store(&w->gen, next_gen);
    }
    debugf("race: slot %u <- `%s` word %llu (%u bytes at %#lx), pause level %d, %d threads, %llu us after start\n",
           slot, c->name, (unsigned long long)word, w->len, (unsigned long)w->addr, atomic_load(&w->stall_level), l->n,
           (unsigned long long)(now - started_ns) / 1000);
    vs->assigned = true;
    vs->turns++;
    vs->last_turn_ns = now;
    for (int i = 0; i < l->n && !atomic_load(&stopping); i++)
        if (!has_pos(w, l->tid[i], l->t[i]) && !add_pos(w, slot, l->t[i], l->tid[i], l->index[i], false) &&
            atomic_load(&w->npos) >= max_pos)
            break;
    atomic_store(&w->state, ARMED);
    arm_all(w);
    debugf("race: slot %u armed on %d threads, %llu us after start\n", slot, atomic_load(&w->npos),
           (unsigned long long)(cw_now_ns() - started_ns) / 1000);
}

/* ---- findings ----------------------------------------------------------- */

static bool common_lock(const race_access *a, const race_access *b)
{
    for (int i = 0; i < a->nheld; i++)
        for (int j = 0; j < b->nheld; j++)
            if (a->held[i].addr == b->held[j].addr)
                return true;
    return false;
}

typedef struct lock_ids {
    uintptr_t addr[2 * MAX_HELD_COPY];
    int n;
} lock_ids;

static int lock_id(lock_ids *ids, uintptr_t addr)
{
    for (int i = 0; i < ids->n; i++)
        if (ids->addr[i] == addr)
            return i + 1;
    ids->addr[ids->n] = addr;
    return ++ids->n;
}

static void describe_held(const race_access *a, lock_ids *ids, char *buf, size_t size)
{
    if (a->nheld == 0) {
        snprintf(buf, size, "holding no lock");
        return;
    }
    size_t len = (size_t)snprintf(buf, size, "holding");
    for (int i = 0; i < a->nheld && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s %s%s M%d", i ? "," : "",
                                cw_lock_kind_name(a->held[i].kind), a->held[i].read ? " (read)" : "",
                                lock_id(ids, a->held[i].addr));
}

/* The definition's file as the symbolizer shows frames: relative to the
 * current directory when under it. */
static const char *display_path(const char *file)
{
    static char cwd[PATH_MAX];
    if (!file || file[0] != '/' || !getcwd(cwd, sizeof cwd))
        return file;
    size_t n = strlen(cwd);
    if (n > 1 && strncmp(file, cwd, n) == 0 && file[n] == '/')
        return file + n + 1;
    return file;
}

static void report(const cw_race_var *c, const watch *w)
{
    const race_access *a = &w->first, *b = &w->second;
    char ta[16], tb[16];
    cw_thread_label(a->thread, ta, sizeof ta);
    cw_thread_label(b->thread, tb, sizeof tb);
    char where[PATH_MAX + 64] = "";
    if (c->decl_file)
        snprintf(where, sizeof where, ", defined at %s:%d", display_path(c->decl_file), c->decl_line);
    char part[64] = "";
    if (c->nwords > 1 || w->len != c->size)
        snprintf(part, sizeof part, ", bytes %llu-%llu", (unsigned long long)(w->addr - c->addr),
                 (unsigned long long)(w->addr - c->addr + w->len - 1));
    cw_record r;
    int rc = vstate[w->var].is_arg
        ? cw_record_begin(&r, "data-race",
                          "data race on the object a thread was started with (pthread_create's argument, at %#lx), "
                          "byte %llu: %s by %s and %s by %s at the same time, with no lock in common",
                          (unsigned long)c->addr, (unsigned long long)(w->addr - c->addr),
                          a->write ? "written" : "read", ta, b->write ? "written" : "read", tb)
        : cw_record_begin(&r, "data-race",
                          "data race on `%s` (%llu bytes%s%s): %s by %s and %s by %s at the same time, with no lock in common",
                          c->name, (unsigned long long)c->size, part, where, a->write ? "written" : "read", ta,
                          b->write ? "written" : "read", tb);
    if (rc != 0)
        return;
    lock_ids ids = { .n = 0 };
    char held_a[256], held_b[256], role[512];
    describe_held(a, &ids, held_a, sizeof held_a);
    describe_held(b, &ids, held_b, sizeof held_b);
    snprintf(role, sizeof role, "%s `%s` (%s)", a->write ? "writes" : "reads", c->name, held_a);
    cw_record_stack_pcs(&r, ta, a->pcs, (size_t)a->npcs, 0, role);
    snprintf(role, sizeof role, "%s `%s` at the same time (%s)", b->write ? "writes" : "reads", c->name, held_b);
    cw_record_stack_pcs(&r, tb, b->pcs, (size_t)b->npcs, 0, role);
    for (int k = 0; k < ids.n; k++) {
        const race_access *who = a;
        int h = -1;
        for (int i = 0; i < a->nheld && h < 0; i++)
            if (a->held[i].addr == ids.addr[k])
                h = i;
        for (int i = 0; i < b->nheld && h < 0; i++)
            if (b->held[i].addr == ids.addr[k])
                who = b, h = i;
        if (h < 0)
            continue;
        char id[16], how[64];
        snprintf(id, sizeof id, "M%d", k + 1);
        snprintf(how, sizeof how, "taken by %s", who == a ? ta : tb);
        cw_record_lock(&r, id, cw_lock_kind_name(who->held[h].kind), how, who->held[h].stack,
                       who->held[h].addr);
    }
    const var_state *vs = &vstate[w->var];
    if (vs->is_arg && vs->passed_stack) {
        char by[16];
        cw_thread_label(vs->passed_by, by, sizeof by);
        cw_record_stack(&r, by, vs->passed_stack, "passed the object to a new thread here (pthread_create's argument)");
    }
    cw_record_note(&r, "found by sampling with a hardware watchpoint: %s was held still right after its %s "
                       "and %s %s the variable meanwhile, so nothing ordered the two accesses",
                   ta, a->write ? "write" : "read", tb, b->write ? "wrote" : "read");
    cw_record_end(&r);
}

/* Learns from the slot's round (a pause that ended, or writes seen
 * without one) and reports a race. */
static void conclude(watch *w, uint64_t now)
{
    var_state *vs = &vstate[w->var];
    const cw_race_var *c = &vars.v[w->var];
    uint64_t probes = atomic_exchange(&w->probe_writers, 0);
    if (probes) {
        vs->writers |= probes;
        vs->written = true;
    }
    bool sync_word = atomic_exchange(&w->saw_runtime, 0) | atomic_exchange(&w->saw_atomic, 0);
    if (sync_word) {
        debugf("race: `%s` word %llu is written by the C library or accessed atomically: not watched again\n",
               c->name, (unsigned long long)w->word);
        if (w->word < 64)
            vs->bad_words |= 1ull << w->word;
        else
            retire(w->var);
    }
    if (atomic_load(&w->state) != DONE)
        return;
    total_stall_ns += atomic_load(&w->stall_ns);
    if (first_pause(vs))
        first_cost_ns += atomic_load(&w->stall_ns);
    else
        cost_ns += atomic_load(&w->stall_ns);
    if (atomic_load(&w->stall_pos) < 0)
        return;
    vs->written = true;
    vs->writers |= 1ull << (w->first.thread & 63);
    vs->last_stall_ns = now;
    if (!atomic_load(&w->second_ready)) {
        vs->stalls++;
        return;
    }
    const race_access *b = &w->second;
    if (b->write)
        vs->writers |= 1ull << (b->thread & 63);
    if (b->thread == w->first.thread || common_lock(&w->first, b) || sync_word) {
        debugf("race: `%s`: the pair is no race (%s)\n", c->name,
               sync_word ? "a synchronisation word" : b->thread == w->first.thread ? "one thread" : "a lock in common");
        return;
    }
    report(c, w);
    retire(w->var);
}

/* Per tick: finish the slot's round, then keep its word watched (a new
 * round, new threads added) or free the slot for another word. */
static void service(watch *w, unsigned slot, const live *l, uint64_t now)
{
    if (!atomic_load(&w->gen) || atomic_load(&w->parked))
        return;
    int state = atomic_load(&w->state);
    if (state == STALLING)
        return;
    conclude(w, now);
    atomic_store(&w->verdict_pending, 0);   /* the paused thread may go */
    if (state == DONE)
        wait_idle(w);
    var_state *vs = &vstate[w->var];
    bool bad = w->word < 64 && ((vs->bad_words >> w->word) & 1);
    /* A word keeps its slot while there are no more variables than slots,
     * except that a variable of several words moves on to its next one
     * every turn (a struct's second field gets watched too). */
    bool few = nactive <= NSLOTS && vars.v[w->var].nwords <= 1;
    bool keep = !vs->retired && !bad && !atomic_load(&stopping) &&
                (few || (state != DONE && now - w->since_ns < TURN_NS));
    if (!keep) {
        park(w);
        return;
    }
    if (state == DONE)
        reset_round(w);
    atomic_store(&w->stall_level, stall_level_for(vs, now));
    atomic_store(&w->known_writers, vs->writers);
    /* Every thread's reads are watched again this tick. */
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++) {
        if (pos_alive(w, i) && atomic_load(&w->type[i]) != CW_WP_ACCESS) {
            atomic_store(&w->armed[i], 0);
            set_type(w, slot, i, CW_WP_ACCESS);
        }
        /* Traps that never reach the handler: SIGTRAP is blocked in that
         * thread (checked every tenth tick: a read(2) per thread). */
        uint64_t accesses, writes;
        if (tick_count % 10 == 0 && pos_alive(w, i) && cw_wp_counts(w->fd[i], &accesses, &writes) &&
            accesses > atomic_load(&w->handled[i]) + 4ull) {
            atomic_store(&w->deaf[i], 1);
            cw_wp_disable(w->fd[i]);
        }
    }
    /* Threads that started get their watchpoints; those of threads that
     * ended stay open (a handler may be using the fds) until the slot is
     * rebuilt. */
    while (atomic_flag_test_and_set(&w->pos_lock))
        cw_sleep_ns(10 * 1000);
    bool full = false;
    for (int i = 0; i < l->n; i++)
        if (!has_pos(w, l->tid[i], l->t[i]) && !add_pos(w, slot, l->t[i], l->tid[i], l->index[i], false)) {
            full = atomic_load(&w->npos) >= max_pos;
            break;
        }
    atomic_flag_clear(&w->pos_lock);
    if (full) {
        teardown(w);   /* rebuilt at the next tick */
        return;
    }
    int expected = DONE;
    atomic_compare_exchange_strong(&w->state, &expected, ARMED);
    arm_all(w);
}

/* ---- objects passed to threads ------------------------------------------ */

void cw_race_sampler_thread_arg(void *arg, uint32_t creator, cw_stack_id stack)
{
    if (!arg)
        return;
    uint32_t i = atomic_fetch_add(&arg_next, 1) % ARG_RING;
    atomic_store(&arg_ring[i].creator, creator);
    atomic_store(&arg_ring[i].stack, stack);
    atomic_store_explicit(&arg_ring[i].arg, (uintptr_t)arg, memory_order_release);
}

static void drain_args(void)
{
    for (unsigned i = 0; i < ARG_RING; i++) {
        uintptr_t a = atomic_exchange_explicit(&arg_ring[i].arg, 0, memory_order_acquire);
        if (!a || narg_vars >= MAX_ARG_VARS || vars.n >= vars_capacity)
            continue;
        cw_race_var v;
        if (!cw_race_var_for_arg(a, &vars, &v, arg_cells[narg_vars], arg_names[narg_vars], sizeof arg_names[0]))
            continue;
        size_t k = vars.n;
        vars.v[k] = v;
        vstate[k] = (var_state){ .is_arg = true, .passed_by = atomic_load(&arg_ring[i].creator),
                                 .passed_stack = atomic_load(&arg_ring[i].stack) };
        narg_vars++;
        vars.n = k + 1;
        nactive++;
        debugf("race: candidate `%s` at %#lx, %llu bytes, %u cells (passed to a thread by T%u)\n", v.name,
               (unsigned long)v.addr, (unsigned long long)v.size, v.ncells, vstate[k].passed_by);
    }
}

/* ---- the sampler thread ------------------------------------------------- */

static void sampler_loop(void)
{
    uint64_t interval = 0, last_rate_ns = 0;
    int idle_ticks = 0;
    while (!atomic_load(&stopping)) {
        if (interval)
            sampler_sleep(interval);
        if (atomic_load(&stopping) || !handler_is_ours())
            break;   /* exit, or the program installed its own SIGTRAP handler */
        uint64_t cpu0 = cw_cpu_ns(), now = cw_now_ns();
        tick_count++;
        drain_args();
        live l = { .n = 0 };
        cw_thread_for_each(live_visit, &l);
        if (now - last_rate_ns >= RATE_NS) {
            uint64_t switches = measure_wake_periods(&l, now);
            /* The watchpoints' share of those switches (only while armed). */
            int armed_slots = 0;
            for (unsigned s = 0; s < NSLOTS; s++)
                armed_slots += atomic_load(&watches[s].gen) != 0 && !atomic_load(&watches[s].parked);
            if (!atomic_load(&suspended))
            {
                cost_ns += switches * (uint64_t)armed_slots * 2 * SWITCH_COST_NS;
                switch_cost_ns += switches * (uint64_t)armed_slots * 2 * SWITCH_COST_NS;
            }
            last_rate_ns = now;
        }
        /* Every thread blocked for good: the hang watcher must see no thread
         * but its own running, so the sampler leaves (a later pthread_create
         * starts it again). */
        idle_ticks = l.total > 0 && l.blocked == l.total ? idle_ticks + 1 : 0;
        if ((uint64_t)idle_ticks >= IDLE_TICKS) {
            bool stalling = false;
            for (unsigned s = 0; s < NSLOTS; s++)
                stalling |= atomic_load(&watches[s].state) == STALLING;
            if (!stalling) {
                debugf("race: every thread is blocked: the sampler leaves\n");
                for (unsigned s = 0; s < NSLOTS; s++)
                    teardown(&watches[s]);
                atomic_store(&started, 0);
                return;
            }
        }
        for (unsigned s = 0; s < NSLOTS; s++)
            service(&watches[s], s, &l, now);
        if (l.n >= 2 && !atomic_load(&suspended))
            for (unsigned s = 0; s < NSLOTS && !atomic_load(&stopping); s++) {
                size_t v;
                if (atomic_load(&watches[s].gen) && !atomic_load(&watches[s].parked))
                    continue;
                if (choose_var(&v, s == NSLOTS - 1 && nactive > NSLOTS))
                    setup(&watches[s], s, v, &l, now);
                else
                    teardown(&watches[s]);   /* nothing to watch there: no events kept */
            }
        uint64_t traps = atomic_load(&ntraps);
        cost_ns += cw_cpu_ns() - cpu0 + (traps - counted_traps) * TRAP_COST_NS;
        cpu_cost_ns += cw_cpu_ns() - cpu0;
        counted_traps = traps;
        if (nactive == 0)
            break;
        /* Over budget: the watchpoints go off until the run has paid for
         * what was spent. */
        now = cw_now_ns();
        interval = TICK_NS;
        if (cost_ns > allowed_ns(now)) {
            interval = (cost_ns - allowed_ns(now)) * 1000 / (budget_permille ? budget_permille : 1);
            interval = interval > 500 * MS ? 500 * MS : interval < TICK_NS ? TICK_NS : interval;
            /* Disabled for a short break (reopening costs); closed for a
             * long one: a thread with perf events, even disabled ones,
             * still pays a little at each context switch. */
            bool stalling = false;
            for (unsigned s = 0; s < NSLOTS; s++)
                stalling |= atomic_load(&watches[s].state) == STALLING;
            if (!stalling) {
                if (!atomic_exchange(&suspended, 1))
                    debugf("race: over budget: watchpoints off for %llu ms\n", (unsigned long long)interval / MS);
                for (unsigned s = 0; s < NSLOTS; s++)
                    if (interval >= LONG_BREAK_NS)
                        teardown(&watches[s]);
                    else
                        park(&watches[s]);
            }
        } else {
            atomic_store(&suspended, 0);
        }
    }
    for (unsigned s = 0; s < NSLOTS; s++)
        teardown(&watches[s]);
}

/* CONCWATCH_RACE_DEBUG: what the sampling cost, at exit. */
static void debug_summary(void)
{
    debugf("race: %llu traps, pauses %llu us (first ones %llu us), charged %llu us (switches %llu, sampler cpu %llu) "
           "in %llu us\n",
           (unsigned long long)atomic_load(&ntraps), (unsigned long long)total_stall_ns / 1000,
           (unsigned long long)first_cost_ns / 1000, (unsigned long long)cost_ns / 1000,
           (unsigned long long)switch_cost_ns / 1000, (unsigned long long)cpu_cost_ns / 1000,
           (unsigned long long)(cw_now_ns() - start_ns) / 1000);
}

static void sampler_main(void)
{
    if (vstate) {
        sampler_loop();   /* started again after the program was all blocked */
        return;
    }

    uint64_t t_load = cw_now_ns();
    if (!cw_race_vars_load(&vars))
        memset(&vars, 0, sizeof vars);   /* objects passed to threads may still come */
    cw_race_var *room = realloc(vars.v, (vars.n + MAX_ARG_VARS) * sizeof *vars.v);
    if (!room)
        return;
    vars.v = room;
    vars_capacity = vars.n + MAX_ARG_VARS;
    debugf("race: %zu candidate variables in %s (%s), read in %llu us\n", vars.n, vars.module,
           vars.have_dwarf ? "with DWARF" : "no DWARF", (unsigned long long)(cw_now_ns() - t_load) / 1000);
    for (size_t v = 0; v < vars.n; v++)
        debugf("race:   `%s` %llu bytes, %llu cells (%u per %llu bytes), %s:%d\n", vars.v[v].name,
               (unsigned long long)vars.v[v].size, (unsigned long long)vars.v[v].nwords, vars.v[v].ncells,
               (unsigned long long)vars.v[v].period, vars.v[v].decl_file ? vars.v[v].decl_file : "?",
               vars.v[v].decl_line);
    var_state *vs = calloc(vars_capacity, sizeof *vs);
    if (!vs)
        return;
    vstate = vs;
    nactive = vars.n;
    for (size_t v = 0; v < vars.n; v++) {
        uint64_t w;
        if (!next_word(v, &w))
            retire(v);
        vstate[v].cursor = 0;
    }
    drain_args();
    if (nactive == 0)
        return;
    cw_code_map_scan();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = sigtrap_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    /* (Already ours in a fork child: old_trap came along.) */
    if (!handler_is_ours() && sigaction(SIGTRAP, &sa, &old_trap) != 0)
        return;

    /* Our fds live in the program's fd table: at most an eighth of its limit. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur / 8 / (2 * NSLOTS) < MAX_LIVE)
        max_live = (int)(rl.rlim_cur / 8 / (2 * NSLOTS));
    if (max_live < 2)
        return;
    max_pos = 2 * max_live < MAX_POS ? 2 * max_live : MAX_POS;
    start_ns = cw_now_ns();
    sampler_loop();
}

/* ---- start, fork, exit -------------------------------------------------- */

void cw_race_sampler_after_fork_child(void)
{
    /* The events watch the parent's threads: this copy of the fds must go
     * (closing them does not disturb the parent's events), and the sampler
     * thread did not survive the fork. */
    for (unsigned s = 0; s < NSLOTS; s++) {
        watch *w = &watches[s];
        int n = atomic_load(&w->npos);
        for (int i = 0; i < n && i < MAX_POS; i++) {
            if (w->wfd[i] >= 0)
                close(w->wfd[i]);
            if (w->fd[i] >= 0)
                close(w->fd[i]);
            w->fd[i] = w->wfd[i] = -1;
        }
        atomic_store(&w->npos, 0);
        atomic_store(&w->gen, 0);
        atomic_store(&w->state, IDLE);
        atomic_store(&w->inflight, 0);
        atomic_flag_clear(&w->pos_lock);
    }
    vstate = NULL;
    memset(&vars, 0, sizeof vars);
    cost_ns = first_cost_ns = counted_traps = 0;
    atomic_store(&suspended, 0);
    atomic_store(&ntraps, 0);
    atomic_store(&stopping, 0);
    atomic_store(&started, 0);
}

/* exit(): the program's atexit handlers and destructors run, no more pauses. */
static void stop_at_exit(void)
{
    if (!atomic_load(&started))
        return;
    if (debug && vstate)
        debug_summary();
    atomic_store(&stopping, 1);
    for (unsigned s = 0; s < NSLOTS; s++) {
        watch *w = &watches[s];
        atomic_store(&w->stall_level, STALL_NEVER);
        if (!atomic_load(&w->gen))
            continue;
        int n = atomic_load(&w->npos);
        for (int i = 0; i < n; i++)
            if (w->fd[i] >= 0)
                cw_wp_disable(w->fd[i]);
    }
}

void cw_race_sampler_thread_started(void)
{
    /* The new thread gets its watchpoints within microseconds instead of at
     * the next tick: a short-lived worker may be done by then.  Not while over
     * budget (a program starting thousands of threads would keep the sampler
     * busy). */
    if (atomic_load(&started) && !atomic_load(&stopping) && !atomic_load(&suspended))
        wake_sampler();
}

static const cw_helper_thread sampler = { "cw-race-sample", sampler_main, 1024 * 1024 };

void cw_race_sampler_start_once(cw_thread_create_fn create)
{
    if (atomic_load_explicit(&started, memory_order_relaxed) || atomic_exchange(&started, 1))
        return;
    if (!cw_flags.races)
        return;
    /* CPython: the interpreter's globals are not the program's, and it
     * synchronises them in ways a watchpoint cannot see.  TSan reports races itself. */
    if (dlsym(RTLD_DEFAULT, "Py_IsInitialized") || dlsym(RTLD_DEFAULT, "__tsan_init"))
        return;
    started_ns = cw_now_ns();
    debug = cw_flags.race_debug;
    if (!atomic_exchange(&first_start_done, 1)) {
        for (unsigned s = 0; s < NSLOTS; s++)
            for (int i = 0; i < MAX_POS; i++)
                watches[s].fd[i] = watches[s].wfd[i] = -1;
        atexit(stop_at_exit);
    }
    if (!cw_helper_thread_start(create, &sampler))
        atomic_store(&started, 0);
}

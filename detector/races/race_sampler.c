#define _GNU_SOURCE
/*
 * The sampler thread (race_sampler.h): every tick it concludes each slot's
 * round, keeps or moves the watched words, opens watchpoints on new
 * threads, and keeps the cost within the budget; in between it sleeps, and
 * a paused thread with evidence wakes it.
 */
#include "race_sampler.h"

#include <dlfcn.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "access_history.h"
#include "candidate_pool.h"
#include "race_method.h"
#include "sampling_budget.h"
#include "task_sched.h"
#include "watch_backend.h"
#include "common/code_map.h"

cw_watch cw_watches[CW_MAX_SLOTS];
unsigned cw_nslots;
cw_race_vars cw_vars;
cw_var_state *cw_vstate;
size_t cw_nactive;
atomic_int cw_sampler_stopping;
atomic_int cw_sampler_suspended;
atomic_ullong cw_ntraps;
bool cw_race_debug;
int cw_max_pos = CW_MAX_POS;
uint64_t cw_sampler_started_ns;

static atomic_int started;
static atomic_int first_start_done;
static atomic_int method_decided;      /* 1: cw_backend chosen (or races off) */
static _Atomic uint32_t wake_word;     /* futex: a paused thread has evidence for the sampler */
/* New threads wait (bounded) for the sampler's first slots, and for the
 * object they were started with to be looked at (race_sampler.h). */
static _Atomic uint32_t served_word;   /* futex: bumped after each round of setting slots up */
static _Atomic uint32_t served_tickets;  /* thread-argument tickets looked at (candidate_pool.h) */
static atomic_int ready;               /* the first round of slots is set up */
static atomic_ullong join_cost_ns;     /* what new threads spent waiting and opening their watchpoints */
static atomic_int waiters;             /* new threads waiting for served_word */
static atomic_int running;             /* the sampler thread is in its loop */
static atomic_uint newcomers;          /* threads started while the watch was quiet or off (over budget) */
static int max_live = CW_MAX_LIVE;
static bool clocks_on;                 /* this sampler holds a cw_hb_use() */
static uint64_t hb_ops_seen;

void cw_race_debugf(const char *fmt, ...)
{
    if (!cw_race_debug)
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

void cw_sampler_wake(void)
{
    atomic_fetch_add(&wake_word, 1);
    syscall(SYS_futex, &wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Clocks are kept while a word is watched (the order judgement needs them
 * from before the first access it records), and not otherwise: each
 * synchronisation costs a table lookup while they are. */
static void clocks(bool on)
{
    if (on == clocks_on)
        return;
    clocks_on = on;
    if (on) {
        cw_hb_use();
    } else {
        for (unsigned s = 0; s < cw_nslots; s++)
            cw_history_restart(&cw_watches[s]);
        cw_hb_unuse();
    }
}

typedef struct live {
    cw_thread *t[CW_MAX_LIVE];
    pid_t tid[CW_MAX_LIVE];
    uint32_t index[CW_MAX_LIVE];
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

static bool any_stalling(void)
{
    for (unsigned s = 0; s < cw_nslots; s++)
        if (atomic_load(&cw_watches[s].state) == CW_SLOT_STALLING)
            return true;
    return false;
}

static void all_slots_down(void)
{
    for (unsigned s = 0; s < cw_nslots; s++)
        cw_slot_teardown(&cw_watches[s]);
    clocks(false);
}

/* Did the program run since the last look?  Its CPU time (the process's
 * less this thread's; the hang watcher's few microseconds a poll stay under
 * the threshold), or a trap, or a thread started (a wake-up). */
static bool program_ran(void)
{
    static uint64_t last_process, last_self;
    static uint32_t last_wake;
    uint64_t process = cw_ns_of(CLOCK_PROCESS_CPUTIME_ID), self = cw_cpu_ns();
    uint64_t others = (process - last_process) - (self - last_self);
    uint32_t wake = atomic_load(&wake_word);
    /* A round that ended (a pause over, a pair to judge) needs the sampler now. */
    bool round_over = false;
    for (unsigned s = 0; s < cw_nslots; s++)
        round_over |= atomic_load(&cw_watches[s].state) == CW_SLOT_DONE || atomic_load(&cw_watches[s].order_ready);
    bool ran = others >= 200 * 1000 || atomic_load(&cw_ntraps) != 0 || wake != last_wake || any_stalling() ||
               round_over;
    last_process = process;
    last_self = self;
    last_wake = wake;
    return ran;
}

/* New threads waiting in cw_race_sampler_thread_started: the slots are
 * set up, and the objects they were started with looked at. */
static void serve_new_threads(uint32_t tickets)
{
    bool first = !atomic_exchange(&ready, 1);
    uint32_t before = atomic_exchange(&served_tickets, tickets);
    if ((first || before != tickets) && atomic_load(&waiters)) {
        atomic_fetch_add(&served_word, 1);
        syscall(SYS_futex, &served_word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
    }
}

static void sampler_loop(void)
{
    uint64_t interval = 0, last_rate_ns = 0, idle_interval = 0, last_tick_ns = cw_now_ns();
    int idle_ticks = 0;
    while (!atomic_load(&cw_sampler_stopping)) {
        if (interval)
            sampler_sleep(interval);
        if (atomic_load(&cw_sampler_stopping))
            break;
        /* An idle program (a server waiting for requests) costs nothing: the
         * watchpoints stay as they are (a sleeping thread's cost nothing),
         * and the sampler looks again later and later, up to once a second. */
        if (interval && !program_ran()) {
            idle_interval = idle_interval ? idle_interval * 2 : cw_flags.race_tick_ns * 2;
            if (idle_interval > CW_SEC)
                idle_interval = CW_SEC;
            interval = idle_interval;
            continue;
        }
        idle_interval = 0;
        /* A thread started during a quiet or off spell (over budget): the
         * watch comes on again now, for its first access, and for a first
         * access of the others in a new history period: kept off, a
         * short-lived thread runs its whole life unwatched and the race
         * between it and a thread already seen goes unnoticed (the two
         * readers of rwlock_read_side_race on a loaded machine: the second
         * one started while the clocks, too dear, had turned the watch
         * off).  Paid back all the same. */
        bool newcomer = atomic_exchange(&newcomers, 0) != 0 && cw_candidates_all_fit() &&
                        atomic_exchange(&cw_sampler_suspended, 0);
        if (newcomer)
            cw_race_debugf("race: a thread started while over budget: watch on again for its first access\n");
        if (!cw_backend->still_installed()) {
            cw_race_method_off("the program installed its own handler for the signal the watchpoints use");
            break;
        }
        uint64_t cpu0 = cw_cpu_ns(), now = cw_now_ns();
        cw_slots_tick();
        uint32_t tickets = cw_candidates_drain();
        live l = { .n = 0 };
        cw_thread_for_each(live_visit, &l);
        if (now - last_rate_ns >= cw_flags.race_rate_ns) {
            uint64_t switches = cw_task_measure_wake_periods(l.tid, l.n, now);
            /* The watchpoints' share of those switches (only while armed). */
            int armed_slots = 0;
            for (unsigned s = 0; s < cw_nslots; s++)
                armed_slots += atomic_load(&cw_watches[s].gen) != 0 && !atomic_load(&cw_watches[s].parked);
            if (!atomic_load(&cw_sampler_suspended) && cw_backend->counts_switches) {
                uint64_t c = switches * (uint64_t)armed_slots * cw_flags.race_switch_cost_ns;
                cw_budget_now.cost_ns += c;
                cw_budget_now.switch_cost_ns += c;
            }
            last_rate_ns = now;
        }
        /* Every thread blocked for good: the hang watcher must see no thread
         * but its own running, so the sampler leaves (a later pthread_create
         * starts it again). */
        idle_ticks = l.total > 0 && l.blocked == l.total ? idle_ticks + 1 : 0;
        if ((uint64_t)idle_ticks >= cw_flags.race_idle_ticks && !any_stalling()) {
            cw_race_debugf("race: every thread is blocked: the sampler leaves\n");
            all_slots_down();
            atomic_store(&started, 0);
            return;
        }
        for (unsigned s = 0; s < cw_nslots; s++)
            cw_slot_service(&cw_watches[s], s, l.t, l.tid, l.index, l.n, now);
        if (l.n >= 1 && !atomic_load(&cw_sampler_suspended))
            for (unsigned s = 0; s < cw_nslots && !atomic_load(&cw_sampler_stopping); s++) {
                size_t v;
                uint64_t word;
                if (atomic_load(&cw_watches[s].gen) && !atomic_load(&cw_watches[s].parked))
                    continue;
                if (cw_candidates_choose(&v, &word, s == cw_nslots - 1 && cw_nactive > cw_nslots)) {
                    clocks(true);
                    cw_slot_setup(&cw_watches[s], s, v, word, l.t, l.tid, l.index, l.n, now);
                } else {
                    cw_slot_teardown(&cw_watches[s]);   /* nothing to watch there: no events kept */
                }
            }
        serve_new_threads(tickets);
        uint64_t traps = atomic_exchange(&cw_ntraps, 0);
        uint64_t ops = cw_hb_sync_count();
        uint64_t trap_cost = traps * cw_backend->trap_cost_ns();
        uint64_t clock_cost = (ops - hb_ops_seen) * cw_flags.race_hb_op_cost_ns;
        uint64_t join_cost = atomic_exchange(&join_cost_ns, 0);
        hb_ops_seen = ops;
        uint64_t cpu = cw_cpu_ns() - cpu0;
        cw_budget_now.cost_ns += cpu + trap_cost + clock_cost;
        cw_budget_now.cpu_cost_ns += cpu;
        /* New threads' waits for the sampler are a start-up cost, like
         * variables' first pauses. */
        cw_budget_now.first_cost_ns += join_cost;
        cw_budget_now.join_cost_ns += join_cost;
        cw_budget_now.trap_cost_ns += trap_cost;
        cw_budget_now.clock_cost_ns += clock_cost;
        /* Over budget: the watchpoints go off until the run has paid for
         * what was spent. */
        now = cw_now_ns();
        uint64_t tick_ns = now - last_tick_ns;
        last_tick_ns = now;
        interval = cw_flags.race_tick_ns;
        if (cw_budget_over(now)) {
            uint64_t permille = (uint64_t)(cw_flags.race_budget * 10);
            interval = (cw_budget_now.cost_ns - cw_budget_allowed_ns(now)) * 1000 / (permille ? permille : 1);
            interval = interval > 500 * CW_MS ? 500 * CW_MS : interval < cw_flags.race_tick_ns ? cw_flags.race_tick_ns : interval;
            uint64_t pay_back = interval;
            interval = cw_flags.race_tick_ns;
            /* While every word has a slot of its own and the clocks alone
             * stay within the budget, the watchpoints only go quiet: the
             * words keep their slots and histories (accesses recorded
             * before the break still pair with those after it, the clocks
             * having run all along).  Otherwise the slots give their words
             * up, the clocks stop: disabled for a short break (reopening
             * costs), closed for a long one (a thread with perf events, even
             * disabled ones, still pays a little at each context switch). */
            bool clocks_affordable = clock_cost * 1000 <= tick_ns * permille;
            bool all_fit = cw_candidates_all_fit();
            /* A thread's first access is awaited (watch_slots.c): the
             * watch stays on a little longer, paid back all the same.  If
             * it had gone quiet already (the thread started during a quiet
             * spell: its positions were opened disabled), it wakes: kept
             * quiet, the thread could run its whole life unwatched. */
            if (all_fit && (newcomer || cw_slots_awaiting_first_access())) {
                bool was_quiet = atomic_exchange(&cw_sampler_suspended, 0);
                if (was_quiet)   /* quiet, not off: the slots and clocks were kept */
                    for (unsigned s = 0; s < cw_nslots; s++)
                        cw_slot_wake(&cw_watches[s]);
                cw_race_debugf("race: over budget, a thread's first access awaited: watch %s\n",
                               was_quiet ? "on again" : "kept on");
                continue;   /* interval: one tick */
            }
            bool quiet = all_fit && clocks_affordable;
            if (!any_stalling()) {
                interval = pay_back;
                if (!atomic_exchange(&cw_sampler_suspended, 1))
                    cw_race_debugf("race: over budget: watchpoints %s for %llu ms\n", quiet ? "quiet" : "off",
                                   (unsigned long long)interval / CW_MS);
                for (unsigned s = 0; s < cw_nslots; s++)
                    if (quiet)
                        cw_slot_quiet(&cw_watches[s]);
                    else if (interval >= cw_flags.race_long_break_ns)
                        cw_slot_teardown(&cw_watches[s]);
                    else
                        cw_slot_park(&cw_watches[s]);
                if (!quiet)
                    clocks(false);
            }
        } else if (atomic_exchange(&cw_sampler_suspended, 0)) {
            for (unsigned s = 0; s < cw_nslots; s++)
                cw_slot_wake(&cw_watches[s]);
        }
    }
    all_slots_down();
}

/* CONCWATCH_RACE_DEBUG: what the sampling cost, at exit. */
static void debug_summary(void)
{
    const cw_budget *b = &cw_budget_now;
    cw_race_debugf("race: pauses %llu us (first ones and new threads' waits %llu us, the waits %llu us), charged %llu us "
                   "(switches %llu, traps %llu, clocks %llu, sampler cpu %llu) in %llu us\n",
                   (unsigned long long)b->total_stall_ns / 1000, (unsigned long long)b->first_cost_ns / 1000,
                   (unsigned long long)b->join_cost_ns / 1000,
                   (unsigned long long)b->cost_ns / 1000, (unsigned long long)b->switch_cost_ns / 1000,
                   (unsigned long long)b->trap_cost_ns / 1000, (unsigned long long)b->clock_cost_ns / 1000,
                   (unsigned long long)b->cpu_cost_ns / 1000, (unsigned long long)(cw_now_ns() - b->start_ns) / 1000);
}

static void sampler_run(void)
{
    if (cw_vstate) {
        sampler_loop();   /* started again after the program was all blocked */
        return;
    }
    if (!cw_candidates_init())
        return;
    if (cw_vars.unseen_sync) {
        cw_unseen_sync = cw_vars.unseen_sync;
        char detail[300];
        snprintf(detail, sizeof detail, "races proven by overlap only (%s)", cw_unseen_sync);
        cw_race_method_detail(detail);
    }
    if (cw_nactive == 0 && cw_vars.n == 0) {
        /* objects passed to threads may still come: keep going */
    }
    cw_code_map_scan();
    /* Our fds live in the program's fd table: at most an eighth of its limit. */
    struct rlimit rl;
    if (cw_backend->per_thread && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur / 8 / cw_nslots < CW_MAX_LIVE)
        max_live = (int)(rl.rlim_cur / 8 / cw_nslots);
    if (max_live < 2)
        return;
    cw_max_pos = 2 * max_live < CW_MAX_POS ? 2 * max_live : CW_MAX_POS;
    cw_budget_start(cw_now_ns());
    sampler_loop();
}

static void sampler_main(void)
{
    sampler_run();
    atomic_store(&running, 0);
    atomic_store(&ready, 0);   /* started again: new threads wait for its first slots */
    if (atomic_load(&waiters)) {
        atomic_fetch_add(&served_word, 1);
        syscall(SYS_futex, &served_word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
    }
}

/* ---- start, fork, exit -------------------------------------------------- */

void cw_race_sampler_after_fork_child(void)
{
    /* The events watch the parent's threads: this copy of the fds must go
     * (closing them does not disturb the parent's events), and the sampler
     * thread did not survive the fork. */
    if (cw_backend)
        cw_backend->after_fork_child();
    for (unsigned s = 0; s < CW_MAX_SLOTS; s++) {
        cw_watch *w = &cw_watches[s];
        int n = atomic_load(&w->npos);
        for (int i = 0; i < n && i < CW_MAX_POS; i++) {
            if (cw_backend == &cw_backend_hw && w->fd[i] >= 0)
                close(w->fd[i]);
            w->fd[i] = -1;
        }
        atomic_store(&w->npos, 0);
        atomic_store(&w->gen, 0);
        atomic_store(&w->state, CW_SLOT_IDLE);
        atomic_store(&w->inflight, 0);
        atomic_store(&w->protected_now, 0);
        atomic_store(&w->parked, 0);
        w->assigned = false;
        atomic_flag_clear(&w->pos_lock);
        atomic_flag_clear(&w->prot_lock);
    }
    cw_candidates_after_fork_child();
    cw_race_method_after_fork_child();
    cw_budget_start(0);
    clocks_on = false;
    hb_ops_seen = 0;
    atomic_store(&cw_sampler_suspended, 0);
    atomic_store(&cw_ntraps, 0);
    atomic_store(&cw_sampler_stopping, 0);
    atomic_store(&started, 0);
    atomic_store(&method_decided, 0);
    atomic_store(&running, 0);
    atomic_store(&ready, 0);
    atomic_store(&waiters, 0);
    atomic_store(&served_tickets, 0);
    atomic_store(&join_cost_ns, 0);
    atomic_store(&newcomers, 0);
}

/* exit(): the program's atexit handlers and destructors run, no more pauses. */
static void stop_at_exit(void)
{
    if (!atomic_load(&started))
        return;
    if (cw_race_debug && cw_vstate)
        debug_summary();
    atomic_store(&cw_sampler_stopping, 1);
    for (unsigned s = 0; s < cw_nslots; s++) {
        cw_watch *w = &cw_watches[s];
        atomic_store(&w->stall_level, CW_STALL_NEVER);
        if (!atomic_load(&w->gen) || !cw_backend)
            continue;
        cw_backend->word_disarm(w);
        int n = atomic_load(&w->npos);
        for (int i = 0; i < n; i++)
            if (w->fd[i] >= 0)
                cw_backend->pos_disable(w, i);
    }
}

/* A new thread waits for the sampler's first slots, and for the object it
 * was started with to be looked at: bounded (a sampler slowed down by a
 * loaded machine or a large program is not waited for long), charged to
 * the budget. */
#define JOIN_WAIT_MAX_NS (100 * CW_MS)

static bool served(uint32_t ticket)
{
    return atomic_load(&ready) && (int32_t)(atomic_load(&served_tickets) - ticket) >= 0;
}

static void wait_until_served(uint32_t ticket)
{
    uint64_t t0 = cw_now_ns();
    atomic_fetch_add(&waiters, 1);
    cw_sampler_wake();
    for (;;) {
        uint32_t seen = atomic_load(&served_word);
        uint64_t waited = cw_now_ns() - t0;
        if (served(ticket) || !atomic_load(&running) || atomic_load(&cw_sampler_stopping) ||
            atomic_load(&cw_sampler_suspended) || waited >= JOIN_WAIT_MAX_NS)
            break;
        struct timespec ts = cw_timespec_of(JOIN_WAIT_MAX_NS - waited);
        syscall(SYS_futex, &served_word, FUTEX_WAIT_PRIVATE, seen, &ts, NULL, 0);
    }
    atomic_fetch_sub(&waiters, 1);
    uint64_t waited = cw_now_ns() - t0;
    if (cw_race_debug && !served(ticket))
        cw_race_debugf("race: a new thread waited %llu us for the sampler: not served (ticket %u, served %u, ready %d)\n",
                       (unsigned long long)waited / 1000, ticket, atomic_load(&served_tickets), atomic_load(&ready));
}

void cw_race_sampler_thread_started(uint32_t ticket)
{
    if (atomic_load(&started) && !atomic_load(&method_decided))
        for (int i = 0; i < 1000 && !atomic_load(&method_decided); i++)
            cw_sleep_ns(100 * 1000);   /* the creating thread is choosing right now */
    if (cw_backend && cw_backend->thread_started)
        cw_backend->thread_started();
    if (!cw_backend || !atomic_load(&started) || atomic_load(&cw_sampler_stopping))
        return;
    /* The thread watches the words from its first instruction on: a
     * short-lived worker may be done before the sampler's next tick, and a
     * race needs one recorded access of each side (access_history.h).
     * Over budget, its positions are added disabled, for the sampler to arm. */
    cw_thread *t = cw_tls_self;
    uint64_t t0 = cw_now_ns();
    if (!atomic_load(&cw_sampler_suspended)) {
        if (atomic_load(&running) && !served(ticket))
            wait_until_served(ticket);
        else
            cw_sampler_wake();
    }
    if (t && t->tid)
        cw_slots_join_self(t);
    /* Over budget, the positions just opened are disabled (or none was:
     * the watch is off) and the sampler may sleep for up to 500 ms: it is
     * told now, for the first access of this thread is awaited. */
    if (atomic_load(&cw_sampler_suspended)) {
        atomic_fetch_add(&newcomers, 1);
        cw_sampler_wake();
    }
    cw_race_debugf("race: T%u started %llu us after start: waited %llu us (ticket %u)\n", t ? t->index : 0,
                   (unsigned long long)(t0 - cw_sampler_started_ns) / 1000, (unsigned long long)(cw_now_ns() - t0) / 1000,
                   ticket);
    atomic_fetch_add(&join_cost_ns, cw_now_ns() - t0);
}

uint32_t cw_race_sampler_thread_arg(void *arg, uint32_t creator, cw_stack_id stack)
{
    return cw_candidates_thread_arg(arg, creator, stack);
}

static const cw_helper_thread sampler = { "cw-race-sample", sampler_main, 1024 * 1024 };

void cw_race_sampler_start_once(cw_thread_create_fn create)
{
    if (atomic_load_explicit(&started, memory_order_relaxed) || atomic_exchange(&started, 1))
        return;
    if (!cw_flags.races) {
        cw_race_method_never("CONCWATCH_RACES=0");
        atomic_store(&method_decided, 1);   /* new threads must not wait for a choice */
        return;
    }
    /* CPython: the interpreter's globals are not the program's, and it
     * synchronises them in ways a watchpoint cannot see.  TSan reports races itself. */
    if (dlsym(RTLD_DEFAULT, "Py_IsInitialized")) {
        cw_race_method_never("a CPython process: the interpreter's variables are not the program's");
        atomic_store(&method_decided, 1);
        return;
    }
    if (dlsym(RTLD_DEFAULT, "__tsan_init")) {
        cw_race_method_never("built with ThreadSanitizer, which reports the races itself");
        atomic_store(&method_decided, 1);
        return;
    }
    cw_sampler_started_ns = cw_now_ns();
    cw_race_debug = cw_flags.race_debug;
    if (!atomic_exchange(&first_start_done, 1)) {
        for (unsigned s = 0; s < CW_MAX_SLOTS; s++)
            for (int i = 0; i < CW_MAX_POS; i++)
                cw_watches[s].fd[i] = -1;
        atexit(stop_at_exit);
    }
    /* Chosen here, in the program's thread: the software backend's guard
     * is turned on by each thread for itself, this one first. */
    if (!cw_backend && !atomic_load(&cw_sampler_stopping) && !cw_race_method_choose()) {
        atomic_store(&method_decided, 1);
        return;   /* stays "started": never again */
    }
    atomic_store(&method_decided, 1);
    /* Running from now on for the threads about to start: they wait for
     * its first slots even before it gets a CPU. */
    atomic_store(&running, 1);
    if (!cw_helper_thread_start(create, &sampler)) {
        atomic_store(&running, 0);
        atomic_store(&started, 0);
        return;
    }
    /* The creating thread's own accesses from now on are watched too (a
     * flag main sets while its new thread polls it). */
    uint64_t t0 = cw_now_ns();
    wait_until_served(0);
    atomic_fetch_add(&join_cost_ns, cw_now_ns() - t0);
}

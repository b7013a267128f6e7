#define _GNU_SOURCE
/*
 * Watch slots, on the sampler's side (watch_slot.h has the states): opening
 * positions on threads, giving a slot a word (setup), keeping it for another
 * round (service), moving it to another word (park), freeing it (teardown),
 * and concluding each round (conclude: what was learnt, and the finding).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "access_history.h"
#include "candidate_pool.h"
#include "race_findings.h"
#include "race_method.h"
#include "sampling_budget.h"
#include "task_sched.h"
#include "watch_backend.h"

static void pos_lock(cw_watch *w)
{
    while (atomic_flag_test_and_set(&w->pos_lock))
        cw_sleep_ns(10 * 1000);
}

static void pos_unlock(cw_watch *w) { atomic_flag_clear(&w->pos_lock); }

bool cw_pos_alive(const cw_watch *w, int i)
{
    const cw_thread *t = w->thr[i];
    return w->fd[i] >= 0 && t && !atomic_load(&w->deaf[i]) && atomic_load(&t->alive) && t->tid == w->tid[i];
}

bool cw_has_pos(const cw_watch *w, pid_t tid, const cw_thread *t)
{
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++)
        if (w->fd[i] >= 0 && w->tid[i] == tid && w->thr[i] == t)
            return true;
    return false;
}

bool cw_set_type(cw_watch *w, unsigned slot, int i, cw_wp_type type)
{
    if (atomic_load(&w->type[i]) == type)
        return true;
    atomic_store(&w->type[i], (uint8_t)type);
    return cw_backend->pos_set_type(w, slot, i, type) == 0;
}

void cw_wait_idle(cw_watch *w)
{
    while (atomic_load(&w->inflight) > 0)
        cw_sleep_ns(100 * 1000);
}

static atomic_int any_granted;         /* a watchpoint was opened once in this process */

bool cw_add_pos(cw_watch *w, unsigned slot, cw_thread *t, pid_t tid, uint32_t index, bool in_handler)
{
    int pos = atomic_load(&w->npos);
    if (pos >= cw_max_pos)
        return false;
    int rc = cw_backend->pos_open(w, slot, pos, tid);
    if (rc < 0) {
        int err = -rc;
        /* A refusal says so only before any breakpoint was granted: after
         * that, an error is about this thread.  ENODEV and ESRCH always are
         * (a thread that is exiting gets them; measured with 30 000
         * short-lived threads, where the first thread asked for can be one):
         * the start-up probe already opened the same event on this host. */
        if (!in_handler && !atomic_load(&any_granted) &&
            (err == EACCES || err == EPERM || err == ENOENT || err == EOPNOTSUPP || err == ENOSYS ||
             (err == EINVAL && pos == 0))) {
            char why[128];
            snprintf(why, sizeof why, "%s refused (%s)", cw_backend->name, strerror(err));
            cw_race_method_off(why);
        }
        return false;
    }
    atomic_store(&any_granted, 1);
    if (!cw_backend->per_thread)
        w->fd[pos] = 0;
    w->tid[pos] = tid;
    w->index[pos] = index;
    w->thr[pos] = t;
    atomic_store(&w->type[pos], CW_WP_ACCESS);
    atomic_store(&w->armed[pos], 0);
    atomic_store(&w->handled[pos], 0);
    w->last_read_ns[pos] = 0;
    atomic_store(&w->deaf[pos], 0);
    atomic_store(&w->deciding[pos], 0);
    atomic_store(&w->busy[pos], 0);
    w->unseen_since_ns[pos] = cw_now_ns();
    w->unseen_run0[pos] = 0;
    atomic_store(&w->unseen[pos], 1);
    w->hist[pos].period = 0;
    atomic_store(&w->npos, pos + 1);
    return true;
}

static void arm_all(cw_watch *w)
{
    if (atomic_load(&cw_sampler_suspended))
        return;
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++)
        if (w->fd[i] >= 0 && !atomic_load(&w->armed[i]) && cw_pos_alive(w, i)) {
            atomic_store(&w->armed[i], 1);
            cw_backend->pos_enable(w, i);
        }
    cw_backend->word_arm(w);
}

static void reset_round(cw_watch *w)
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


/* The slot's word is no longer its variable's (counted once). */
static void unassign(cw_watch *w)
{
    if (w->assigned && w->var < cw_vars.n && cw_vstate[w->var].nassigned)
        cw_vstate[w->var].nassigned--;
    w->assigned = false;
}

void cw_slot_teardown(cw_watch *w)
{
    if (!atomic_load(&w->gen))
        return;
    pos_lock(w);   /* no thread adds itself meanwhile (cw_slot_join) */
    cw_backend->word_disarm(w);
    atomic_store(&w->gen, 0);   /* handlers arriving from now on do nothing */
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++)
        if (w->fd[i] >= 0)
            cw_backend->pos_disable(w, i);
    cw_wait_idle(w);
    n = atomic_load(&w->npos);   /* a paused thread may have added some */
    for (int i = 0; i < n; i++) {
        if (w->fd[i] >= 0)
            cw_backend->pos_close(w, i);
        w->fd[i] = -1;
    }
    atomic_store(&w->npos, 0);
    atomic_store(&w->state, CW_SLOT_IDLE);
    atomic_store(&w->parked, 0);
    cw_history_restart(w);
    unassign(w);
    pos_unlock(w);
}

/* The slot's word gives way to another: its events stay open (disabled),
 * to be moved to the next word (cheaper than closing and opening them). */
void cw_slot_park(cw_watch *w)
{
    if (!atomic_load(&w->gen) || atomic_load(&w->parked))
        return;
    pos_lock(w);
    cw_backend->word_disarm(w);
    atomic_store(&w->state, CW_SLOT_IDLE);
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++)
        if (w->fd[i] >= 0) {
            cw_backend->pos_disable(w, i);
            atomic_store(&w->armed[i], 0);
        }
    cw_wait_idle(w);
    cw_history_restart(w);
    unassign(w);
    atomic_store(&w->parked, 1);
    pos_unlock(w);
}

void cw_slot_quiet(cw_watch *w)
{
    if (!atomic_load(&w->gen) || atomic_load(&w->parked))
        return;
    pos_lock(w);
    cw_backend->word_disarm(w);
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++)
        if (w->fd[i] >= 0) {
            cw_backend->pos_disable(w, i);
            atomic_store(&w->armed[i], 0);
        }
    pos_unlock(w);
}

void cw_slot_wake(cw_watch *w)
{
    if (!atomic_load(&w->gen) || atomic_load(&w->parked))
        return;
    pos_lock(w);
    arm_all(w);
    pos_unlock(w);
}

static uint32_t next_gen;

void cw_slot_setup(cw_watch *w, unsigned slot, size_t v, uint64_t word, cw_thread *const *threads,
                   const pid_t *tids, const uint32_t *indices, int nthreads, uint64_t now)
{
    const cw_race_var *c = &cw_vars.v[v];
    cw_var_state *vs = &cw_vstate[v];
    pos_lock(w);
    bool reuse = atomic_load(&w->gen) && atomic_load(&w->parked);
    w->var = v;
    w->word = word;
    cw_race_cell_at(c, word, &w->addr, &w->len);
    w->since_ns = now;
    atomic_store(&w->state, CW_SLOT_IDLE);
    reset_round(w);
    cw_history_restart(w);
    atomic_store(&w->stall_level, cw_budget_stall_level(vs, now));
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
            if (!cw_pos_alive(w, i) || cw_backend->pos_retarget(w, slot, i) != 0) {
                cw_backend->pos_close(w, i);
                w->fd[i] = -1;
                continue;
            }
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
    cw_race_debugf("race: slot %u <- `%s` word %llu (%u bytes at %#lx), pause level %d, %d threads, %llu us after start\n",
                   slot, c->name, (unsigned long long)word, w->len, (unsigned long)w->addr,
                   atomic_load(&w->stall_level), nthreads, (unsigned long long)(now - cw_sampler_started_ns) / 1000);
    vs->nassigned++;
    w->assigned = true;
    vs->turns++;
    vs->last_turn_ns = now;
    for (int i = 0; i < nthreads && !atomic_load(&cw_sampler_stopping); i++)
        if (!cw_has_pos(w, tids[i], threads[i]) && !cw_add_pos(w, slot, threads[i], tids[i], indices[i], false) &&
            atomic_load(&w->npos) >= cw_max_pos)
            break;
    atomic_store(&w->state, CW_SLOT_ARMED);
    arm_all(w);
    pos_unlock(w);
    cw_race_debugf("race: slot %u armed on %d threads, %llu us after start\n", slot, atomic_load(&w->npos),
                   (unsigned long long)(cw_now_ns() - cw_sampler_started_ns) / 1000);
}

/* Learns from the slot's round (a pause that ended, or writes seen
 * without one) and reports a race. */
static void conclude(cw_watch *w, uint64_t now)
{
    cw_var_state *vs = &cw_vstate[w->var];
    const cw_race_var *c = &cw_vars.v[w->var];
    uint64_t probes = atomic_exchange(&w->probe_writers, 0);
    if (probes) {
        vs->writers |= probes;
        vs->written = true;
    }
    bool sync_word = atomic_exchange(&w->saw_runtime, 0) | atomic_exchange(&w->saw_atomic, 0);
    if (sync_word) {
        cw_race_debugf("race: `%s` word %llu is written by the C library or accessed atomically: not watched again\n",
                       c->name, (unsigned long long)w->word);
        if (w->word < 64)
            vs->bad_words |= 1ull << w->word;
        else
            cw_candidates_retire(w->var);
    }
    if (atomic_load(&w->order_ready)) {
        if (!sync_word && !vs->retired) {
            cw_race_report(w, &w->order_a, &w->order_b, CW_PROOF_ORDER);
            cw_candidates_retire(w->var);
        }
        atomic_store(&w->order_ready, 0);   /* the accessing thread may go */
        return;
    }
    if (atomic_load(&w->state) != CW_SLOT_DONE)
        return;
    cw_budget_charge_pause(vs, atomic_load(&w->stall_ns));
    if (atomic_load(&w->stall_pos) < 0)
        return;
    vs->written = true;
    vs->writers |= 1ull << (w->first.thread & 63);
    vs->last_stall_ns = now;
    if (!atomic_load(&w->second_ready)) {
        vs->stalls++;
        return;
    }
    const cw_race_access *b = &w->second;
    if (b->write)
        vs->writers |= 1ull << (b->thread & 63);
    if (vs->retired)
        return;   /* another word of the variable was reported: one finding per variable */
    if (b->thread == w->first.thread || cw_accesses_share_lock(&w->first, b) || sync_word) {
        cw_race_debugf("race: `%s`: the pair is no race (%s)\n", c->name,
                       sync_word ? "a synchronisation word" : b->thread == w->first.thread ? "one thread" : "a lock in common");
        return;
    }
    cw_race_report(w, &w->first, b, CW_PROOF_PAUSE);
    cw_candidates_retire(w->var);
}

/* A race needs one recorded access of each side: while a thread that may
 * access the slot's word soon has not been seen yet in this history period
 * (it is runnable, had less than CONCWATCH_RACE_FIRST_ACCESS_CPU_US of CPU
 * since, for at most CONCWATCH_RACE_FIRST_ACCESS_WAIT_MS), the watch stays
 * fully on: a hot page under software watch stays protected instead of
 * opening for the rest of the tick (backend_sw.c), and the sampler does not
 * go quiet over budget.  The condition is CPU had, not time: a thread that
 * waits for a CPU on a loaded machine still gets its first access seen.
 * Returns whether the slot awaits such an access. */
typedef struct sched_seen {
    pid_t tid;
    bool ok, runnable;
    uint64_t run;
} sched_seen;

static sched_seen sched_cache[64];
static uint64_t sched_cache_tick;

static const sched_seen *sched_of(pid_t tid, uint64_t tick)
{
    if (sched_cache_tick != tick) {
        memset(sched_cache, 0, sizeof sched_cache);
        sched_cache_tick = tick;
    }
    sched_seen *e = &sched_cache[(unsigned)tid % 64];
    if (e->tid != tid) {
        uint64_t slices;
        e->tid = tid;
        e->ok = cw_task_sched(tid, &e->run, &slices);
        e->runnable = e->ok && cw_task_runnable(tid);
    }
    return e;
}

static bool update_unseen(cw_watch *w, uint64_t now, uint64_t tick)
{
    bool hold = false;
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++) {
        if (!atomic_load(&w->unseen[i]) || !cw_pos_alive(w, i))
            continue;
        const sched_seen *e = sched_of(w->tid[i], tick);
        /* The wait is counted while the thread is runnable only: one that
         * blocks (a barrier, a queue) costs nothing meanwhile, and on a
         * loaded machine its start alone (the wait for the sampler) may
         * take longer than the whole allowance. */
        if (e->ok && !e->runnable) {
            w->unseen_since_ns[i] = now;
            continue;
        }
        if (now - w->unseen_since_ns[i] >= cw_flags.race_first_access_wait_ns || !e->ok) {
            atomic_store(&w->unseen[i], 0);
            continue;
        }
        if (!w->unseen_run0[i]) {
            w->unseen_run0[i] = e->run ? e->run : 1;
        } else if (e->run - w->unseen_run0[i] >= cw_flags.race_first_access_cpu_ns) {
            atomic_store(&w->unseen[i], 0);
            continue;
        }
        hold |= e->runnable;
    }
    atomic_store(&w->hold_open, hold);
    return hold;
}

static uint64_t tick_count, service_tick;

void cw_slots_tick(void)
{
    service_tick++;
}

bool cw_slots_awaiting_first_access(void)
{
    for (unsigned s = 0; s < cw_nslots; s++)
        if (atomic_load(&cw_watches[s].gen) && !atomic_load(&cw_watches[s].parked) && atomic_load(&cw_watches[s].hold_open))
            return true;
    return false;
}

void cw_slot_service(cw_watch *w, unsigned slot, cw_thread *const *threads, const pid_t *tids,
                     const uint32_t *indices, int nthreads, uint64_t now)
{
    tick_count++;
    if (!atomic_load(&w->gen) || atomic_load(&w->parked))
        return;
    int state = atomic_load(&w->state);
    if (state == CW_SLOT_STALLING)
        return;
    conclude(w, now);
    atomic_store(&w->verdict_pending, 0);   /* the paused thread may go */
    if (state == CW_SLOT_DONE)
        cw_wait_idle(w);
    cw_var_state *vs = &cw_vstate[w->var];
    bool bad = w->word < 64 && ((vs->bad_words >> w->word) & 1);
    /* A word keeps its slot for the whole run while every word fits in
     * the slots: its history then covers every recorded access (a page
     * that had to be opened is protected again).  Otherwise words take
     * turns. */
    bool all_fit = cw_candidates_all_fit();
    bool keep = !vs->retired && !bad && !atomic_load(&cw_sampler_stopping) &&
                (all_fit || (!atomic_load(&w->sw_dropped) && state != CW_SLOT_DONE &&
                             now - w->since_ns < cw_flags.race_turn_ns));
    if (!keep) {
        cw_slot_park(w);
        return;
    }
    if (all_fit)
        atomic_store(&w->sw_dropped, 0);
    if (state == CW_SLOT_DONE)
        reset_round(w);
    atomic_store(&w->stall_level, cw_budget_stall_level(vs, now));
    atomic_store(&w->known_writers, vs->writers);
    /* Every thread's reads are watched again this tick. */
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++) {
        if (cw_pos_alive(w, i) && atomic_load(&w->type[i]) != CW_WP_ACCESS) {
            atomic_store(&w->armed[i], 0);
            cw_set_type(w, slot, i, CW_WP_ACCESS);
        }
        /* Traps that never reach the handler: SIGTRAP is blocked in that
         * thread (checked every tenth tick: a read(2) per thread). */
        uint64_t accesses;
        if (tick_count % 10 == 0 && cw_pos_alive(w, i) && cw_backend->pos_counts(w, i, &accesses) &&
            accesses > atomic_load(&w->handled[i]) + 4ull) {
            atomic_store(&w->deaf[i], 1);
            cw_backend->pos_disable(w, i);
        }
    }
    update_unseen(w, now, service_tick);
    /* Threads that started get their watchpoints; those of threads that
     * ended stay open (a handler may be using the fds) until the slot is
     * rebuilt. */
    pos_lock(w);
    bool full = false;
    for (int i = 0; i < nthreads; i++)
        if (!cw_has_pos(w, tids[i], threads[i]) && !cw_add_pos(w, slot, threads[i], tids[i], indices[i], false)) {
            full = atomic_load(&w->npos) >= cw_max_pos;
            break;
        }
    if (full) {
        pos_unlock(w);
        cw_slot_teardown(w);   /* rebuilt at the next tick */
        return;
    }
    int expected = CW_SLOT_DONE;
    atomic_compare_exchange_strong(&w->state, &expected, CW_SLOT_ARMED);
    arm_all(w);
    pos_unlock(w);
}

void cw_slots_join_self(cw_thread *t)
{
    for (unsigned s = 0; s < cw_nslots && !atomic_load(&cw_sampler_stopping); s++) {
        cw_watch *w = &cw_watches[s];
        if (!atomic_load(&w->gen) || atomic_load(&w->parked) || atomic_load(&w->state) == CW_SLOT_IDLE)
            continue;
        pos_lock(w);
        if (atomic_load(&w->gen) && !atomic_load(&w->parked) && atomic_load(&w->state) != CW_SLOT_IDLE &&
            !cw_has_pos(w, t->tid, t) && cw_add_pos(w, s, t, t->tid, t->index, true)) {
            int pos = atomic_load(&w->npos) - 1;
            w->unseen_run0[pos] = cw_cpu_ns();
            atomic_store(&w->hold_open, 1);   /* this thread runs, and has not been seen */
            if (!atomic_load(&cw_sampler_suspended) && cw_backend->pos_enable(w, pos) == 0)
                atomic_store(&w->armed[pos], 1);
            if (cw_backend->word_joined)
                cw_backend->word_joined(w);
        }
        pos_unlock(w);
    }
}

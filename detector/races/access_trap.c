#define _GNU_SOURCE
/*
 * What happens in the accessing thread when a watched word traps (either
 * backend, watch_backend.h): the policy of watch_slot.h's states.
 *
 * In a round (ARMED) every thread's accesses trap.  Each trap is recorded in
 * the word's history and judged by order (access_history.h): a pair no
 * synchronisation orders is a race, found here and handed to the sampler,
 * which writes the finding while this thread waits.  A write also pauses its
 * thread when the policy allows (pause_wait.c); anything else waits a few
 * microseconds for a writer pausing at the same moment (two threads woken by
 * one timer tick), then the thread stays watched (writes only, once it has
 * trapped often in this tick).  While a writer is paused (STALLING), any
 * access of another thread is the other side of a race.
 *
 * Not a race: accesses from inside the C library, loader or shim (the inside
 * of a pthread object), and atomic instructions; a word some thread accesses
 * atomically is a synchronisation variable (a hand-made lock, a flag), whose
 * plain accesses may be release stores and acquire loads a watchpoint cannot
 * tell from plain ones: it is not watched any more.
 */
#include <time.h>

#include "access_history.h"
#include "access_insn.h"
#include "watch_backend.h"
#include "common/code_map.h"
#include "stacks/stack_capture.h"

void cw_fill_access(cw_race_access *a, uint32_t thread, bool write, uintptr_t pc, bool pc_exact)
{
    a->thread = thread;
    a->write = write;
    a->epoch = cw_hb_now();
    a->at_ns = cw_now_ns();
    a->pc_exact = pc_exact;
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
    for (uint32_t i = 0; i < nheld && a->nheld < CW_MAX_HELD_COPY; i++)
        a->held[a->nheld++] = (cw_held_copy){ t->held[i].addr, t->held[i].stack, t->held[i].kind, t->held[i].read };
}

static void disable_own(cw_watch *w, unsigned pos)
{
    cw_backend->pos_disable(w, (int)pos);
    atomic_store(&w->armed[pos], 0);
}

typedef struct extend_ctx {
    cw_watch *w;
    unsigned slot;
    int added;
} extend_ctx;

static void extend_visit(cw_thread *t, void *arg)
{
    extend_ctx *x = arg;
    if (!t->tid || cw_has_pos(x->w, t->tid, t) || !cw_add_pos(x->w, x->slot, t, t->tid, t->index, true))
        return;
    int pos = atomic_load(&x->w->npos) - 1;
    if (cw_backend->pos_enable(x->w, pos) == 0)
        atomic_store(&x->w->armed[pos], 1);
    x->added++;
}

static void stall(cw_watch *w, unsigned slot, unsigned pos, const cw_race_access *mine)
{
    atomic_store(&w->state, CW_SLOT_STALLING);
    atomic_store(&w->deciding[pos], 0);
    atomic_fetch_add(&w->handled[pos], 1);
    uint64_t t0 = cw_now_ns();
    /* First of all (the other side may come any moment): every other
     * thread's read or write of the word traps from now on. */
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++)
        if (i != (int)pos && w->fd[i] >= 0 && !atomic_load(&w->deaf[i]) && cw_set_type(w, slot, i, CW_WP_ACCESS) &&
            cw_backend->pos_enable(w, i) == 0)
            atomic_store(&w->armed[i], 1);
    /* So do threads started since the sampler armed the word. */
    extend_ctx x = { w, slot, 0 };
    if (!atomic_flag_test_and_set(&w->pos_lock)) {
        cw_thread_for_each(extend_visit, &x);
        atomic_flag_clear(&w->pos_lock);
    }
    w->first = *mine;
    n = atomic_load(&w->npos);
    bool others = false;
    for (int i = 0; i < n; i++)
        others |= i != (int)pos && cw_pos_alive(w, i);
    w->why[0] = '\0';
    if (others)
        cw_pause_for_others(w, pos, t0);
    cw_wait_for_second(w);
    /* With a pair, stay until the sampler has judged (and reported) it: the
     * program could otherwise end before the finding is written.  Bounded:
     * a sampler that does not answer is not waited for. */
    bool pair = atomic_load(&w->second_ready);
    if (pair)
        atomic_store(&w->verdict_pending, 1);
    atomic_store(&w->stall_ns, cw_now_ns() - t0);
    /* The watchpoints stay as they are: every thread's next access is
     * still recorded for the order judgement until the sampler (woken now)
     * concludes the round. */
    atomic_store(&w->state, CW_SLOT_DONE);
    cw_race_debugf("race: T%u paused %llu us after writing `%s`: %s (%d threads added)%s%s\n", w->index[pos],
                   (unsigned long long)(cw_now_ns() - t0) / 1000, cw_vars.v[w->var].name,
                   pair ? "the other side came" : others ? "nobody came" : "no other thread", x.added,
                   w->why[0] ? ";" : "", w->why);
    cw_sampler_wake();
    if (pair) {
        for (int i = 0; i < 2000 && atomic_load(&w->verdict_pending); i++) {
            struct timespec ts = { 0, 100 * 1000 };
            nanosleep(&ts, NULL);
        }
    }
}

/* A trap that does not pause: did a writer trap at the same moment?  Both
 * threads are then still right after their accesses, a pair as good as one
 * in a pause.  Waits a few microseconds for the writer's handler to say so,
 * longer (up to CONCWATCH_RACE_LINGER_PENDING_MS) while another thread's
 * write is known to have trapped (its thread may be waiting for a CPU).
 * Returns the state. */
static int linger(cw_watch *w, unsigned pos)
{
    int state;
    uint64_t t0 = cw_now_ns();
    while ((state = atomic_load(&w->state)) == CW_SLOT_ARMED && cw_now_ns() - t0 < cw_flags.race_linger_ns)
        cw_cpu_relax();
    while (state == CW_SLOT_ARMED && cw_now_ns() - t0 < cw_flags.race_linger_pending_ns &&
           cw_write_pending_elsewhere(w, pos)) {
        struct timespec ts = { 0, 20 * 1000 };
        nanosleep(&ts, NULL);
        state = atomic_load(&w->state);
    }
    /* Read again: a writer that decided to pause made it STALLING first. */
    return atomic_load(&w->state);
}

static void record_second(cw_watch *w, const cw_race_access *mine)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&w->second_claimed, &expected, 1))
        return;
    w->second = *mine;
    atomic_store(&w->second_ready, 1);
}

/* This trap will not pause its thread: others need not wait for it. */
static void decided(cw_watch *w, unsigned pos)
{
    atomic_store(&w->deciding[pos], 0);
    atomic_fetch_add(&w->handled[pos], 1);
}

/* A pair found by order: handed to the sampler, which reports it while this
 * thread waits (bounded), so that the finding exists even if the program
 * ends right after. */
static void hand_over_order_pair(cw_watch *w, const cw_race_access *earlier, const cw_race_access *mine)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&w->order_claimed, &expected, 1))
        return;
    w->order_a = *earlier;
    w->order_b = *mine;
    atomic_store(&w->order_ready, 1);
    cw_sampler_wake();
    for (int i = 0; i < 2000 && atomic_load(&w->order_ready); i++) {
        struct timespec ts = { 0, 100 * 1000 };
        nanosleep(&ts, NULL);
    }
}

static void handle_access(cw_watch *w, unsigned slot, unsigned pos, const cw_access_info *info)
{
    disable_own(w, pos);
    if (info->late) {
        decided(w, pos);
        return;   /* the thread had SIGTRAP blocked: it has moved on since the access */
    }
    uintptr_t pc = info->pc;
    /* (A hardware trap's pc is the next instruction's: the access may be
     * the last one of its segment.) */
    const cw_code_range *cr = cw_code_map_find(info->pc_exact ? pc : pc - 1);
    /* What the backend cannot tell, the instruction does: decoded forward
     * from its function's start (access_insn.h). */
    cw_access_kind kind = { false, false, false };
    if ((info->write < 0 || info->atomic < 0) && cr)
        cw_access_insn(pc, cr->lo, cr->hi, &kind);
    bool write = info->write >= 0 ? info->write != 0
               : kind.known       ? kind.writes
                                  : atomic_load(&w->type[pos]) == CW_WP_WRITE;   /* a write watchpoint fired */
    if (write)
        atomic_store(&w->deciding[pos], 1);
    int state = atomic_load(&w->state);
    if (!cr || cr->owner != CW_CODE_PROGRAM) {
        if (cr && state == CW_SLOT_ARMED && write)
            atomic_store(&w->saw_runtime, 1);   /* the inside of a pthread object, or the like */
        decided(w, pos);
        return;
    }
    /* An instruction that cannot be found is not judged at all. */
    if ((info->write < 0 || info->atomic < 0) && !kind.known) {
        cw_race_debugf("race: no instruction found ending at %#lx (range %#lx-%#lx)\n", (unsigned long)pc, (unsigned long)cr->lo, (unsigned long)cr->hi);
        decided(w, pos);
        return;
    }
    bool atomic = info->atomic >= 0 ? info->atomic != 0 : kind.atomic;
    if (atomic) {
        atomic_store(&w->saw_atomic, 1);
        decided(w, pos);
        return;
    }
    uint32_t me = w->index[pos];
    cw_race_access mine;
    cw_fill_access(&mine, me, write, pc, info->pc_exact);
    if (state == CW_SLOT_STALLING && atomic_load(&w->stall_pos) != (int)pos) {
        decided(w, pos);
        record_second(w, &mine);
        return;
    }
    /* Judged by order first: a pair found needs no pause. */
    cw_race_access earlier;
    bool pair = cw_history_judge_and_record(w, pos, &mine, &earlier);
    atomic_store(&w->unseen[pos], 0);
    if (cw_race_debug) {
        char others[200] = "";
        size_t used = 0;
        int n = atomic_load(&w->npos);
        for (int i = 0; i < n && used < sizeof others - 40; i++)
            if (i != (int)pos)
                used += (size_t)snprintf(others + used, sizeof others - used, " T%u:%s%s%s", w->index[i],
                                         w->hist[i].period != w->hperiod ? "old" : "",
                                         w->hist[i].has_write ? "w" : "", w->hist[i].has_read ? "r" : "");
        cw_race_debugf("race: T%u %s judged (period %u, state %d, epoch %llu)%s%s\n", me, write ? "write" : "read",
                       w->hperiod, state, (unsigned long long)mine.epoch, pair ? ": a pair" : "", others);
    }
    if (pair) {
        decided(w, pos);
        hand_over_order_pair(w, &earlier, &mine);
        return;
    }
    bool probe = false;
    if (state == CW_SLOT_ARMED && write) {
        int level = atomic_load(&w->stall_level);
        bool new_writer = !((atomic_load(&w->known_writers) >> (me & 63)) & 1);
        if (level == CW_STALL_ANY || (level == CW_STALL_NEW_WRITER && new_writer)) {
            int expected = -1;
            if (atomic_compare_exchange_strong(&w->stall_pos, &expected, (int)pos)) {
                stall(w, slot, pos, &mine);
                return;
            }
        } else {
            atomic_fetch_or(&w->probe_writers, 1ull << (me & 63));
            probe = true;
        }
    }
    decided(w, pos);
    if (state == CW_SLOT_ARMED)
        state = linger(w, pos);
    if (state == CW_SLOT_ARMED) {
        /* Keep watching this thread: its reads too while they are rare (a
         * thread polling a flag), only its writes for the rest of the tick
         * once they come fast; a writer that was not paused is left alone
         * until the next tick (it may write in a loop). */
        uint64_t now = cw_now_ns();
        bool rare = now - w->last_read_ns[pos] >= cw_flags.race_min_read_gap_ns;
        w->last_read_ns[pos] = now;
        if (!probe && !atomic_load(&cw_sampler_suspended) && (rare || cw_set_type(w, slot, (int)pos, CW_WP_WRITE)) &&
            cw_backend->pos_enable(w, (int)pos) == 0)
            atomic_store(&w->armed[pos], 1);
        return;
    }
    if (state == CW_SLOT_STALLING && atomic_load(&w->stall_pos) != (int)pos)
        record_second(w, &mine);
}

void cw_on_access(cw_watch *w, unsigned slot, unsigned pos, const cw_access_info *info)
{
    atomic_store(&w->busy[pos], 1);
    handle_access(w, slot, pos, info);
    atomic_store(&w->busy[pos], 0);
}

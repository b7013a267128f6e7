#define _GNU_SOURCE
#include "access_history.h"

#include <string.h>

const char *cw_unseen_sync;

/* When the thread last returned from a call that can carry a hand-over the
 * shim does not see. */
static __thread uint64_t unseen_wait_ns __attribute__((tls_model("initial-exec")));

void cw_race_unseen_wait_returned(void)
{
    unseen_wait_ns = cw_now_ns();
}

bool cw_history_trusted(void)
{
    return !cw_unseen_sync && !cw_hb_failed();
}

bool cw_accesses_share_lock(const cw_race_access *a, const cw_race_access *b)
{
    for (int i = 0; i < a->nheld; i++)
        for (int j = 0; j < b->nheld; j++)
            if (a->held[i].addr == b->held[j].addr && !(a->held[i].read && b->held[j].read))
                return true;
    return false;
}

void cw_history_restart(cw_watch *w)
{
    w->hperiod++;
    uint64_t now = cw_now_ns();
    int n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++) {
        w->unseen_since_ns[i] = now;
        w->unseen_run0[i] = 0;
        atomic_store(&w->unseen[i], 1);
    }
    atomic_store(&w->order_claimed, 0);
    atomic_store(&w->order_ready, 0);
}

/* A consistent copy of the other thread's entry (or false: being written, stale). */
static bool read_entry(const cw_watch *w, const cw_pos_history *h, bool want_write, cw_race_access *out)
{
    for (int tries = 0; tries < 4; tries++) {
        uint32_t s0 = atomic_load_explicit(&h->seq, memory_order_acquire);
        if (s0 & 1)
            continue;
        if (h->period != w->hperiod || !(want_write ? h->has_write : h->has_read))
            return false;
        const cw_race_access *src = want_write ? &h->write : &h->read;
        /* The stack only matters for a report: copy the small part first. */
        out->thread = src->thread;
        out->write = src->write;
        out->epoch = src->epoch;
        out->at_ns = src->at_ns;
        out->pc_exact = src->pc_exact;
        out->nheld = src->nheld < CW_MAX_HELD_COPY ? src->nheld : CW_MAX_HELD_COPY;
        memcpy(out->held, src->held, sizeof out->held);
        out->npcs = src->npcs < CW_MAX_FRAMES ? src->npcs : CW_MAX_FRAMES;
        memcpy(out->pcs, src->pcs, (size_t)out->npcs * sizeof out->pcs[0]);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&h->seq, memory_order_relaxed) == s0)
            return true;
    }
    return false;
}

static bool races_with(const cw_race_access *then, const cw_race_access *now)
{
    if (!then->epoch || !now->epoch || then->thread == now->thread)
        return false;
    if (cw_hb_ordered(then->epoch))
        return false;
    if (cw_accesses_share_lock(then, now))
        return false;
    /* The later thread waited where a hand-over may have come that the shim
     * does not see. */
    if (unseen_wait_ns >= then->at_ns)
        return false;
    return true;
}

bool cw_history_judge_and_record(cw_watch *w, unsigned pos, const cw_race_access *now, cw_race_access *earlier)
{
    bool found = false;
    if (now->epoch && !cw_unseen_sync && !cw_hb_failed()) {
        int n = atomic_load(&w->npos);
        for (int i = 0; i < n && !found; i++) {
            if (i == (int)pos)
                continue;
            const cw_pos_history *h = &w->hist[i];
            /* A write races with earlier reads and writes; a read with writes. */
            if (read_entry(w, h, true, earlier) && races_with(earlier, now))
                found = true;
            else if (now->write && read_entry(w, h, false, earlier) && races_with(earlier, now))
                found = true;
        }
    }
    cw_pos_history *mine = &w->hist[pos];
    uint32_t s = atomic_load_explicit(&mine->seq, memory_order_relaxed);
    atomic_store_explicit(&mine->seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    if (mine->period != w->hperiod) {
        mine->period = w->hperiod;
        mine->has_write = mine->has_read = false;
    }
    if (now->write) {
        mine->write = *now;
        mine->has_write = true;
    } else {
        mine->read = *now;
        mine->has_read = true;
    }
    atomic_store_explicit(&mine->seq, s + 2, memory_order_release);
    return found;
}

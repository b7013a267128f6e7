#define _GNU_SOURCE
/*
 * The pause (watch_slot.h): a thread that wrote a watched word is held still
 * in its handler while the other threads' accesses trap.  An access of
 * another thread during the pause is truly simultaneous with the write.
 *
 * How long: at least CONCWATCH_RACE_STALL_MS, cut short when the other side
 * shows up.  Longer (up to CONCWATCH_RACE_STALL_MAX_MS) while another
 * watched thread has not yet had its chance to touch the word: it is
 * runnable but has hardly had a CPU (a loaded machine), or it is asleep
 * outside any lock wait but usually wakes up well within the maximum pause
 * and has not woken since (a thread polling a flag).  A thread blocked in a
 * lock, condition or join is not waited for: it moves only when another
 * thread lets it; and when every other thread waits for the paused one (a
 * lock it holds, or a join), the pause ends at once.
 */
#include <stdio.h>
#include <time.h>

#include "task_sched.h"
#include "watch_backend.h"
#include "events/lock_kind.h"

#define TRACKED 8
#define ENOUGH_CPU_NS (1 * CW_MS)

/* The thread is in one of our trap handlers (perf's system calls can keep it
 * there for milliseconds on a loaded machine): it runs the program again
 * soon, and may touch the word then. */
static bool thread_in_handler(pid_t tid)
{
    for (unsigned s = 0; s < cw_nslots; s++) {
        cw_watch *w = &cw_watches[s];
        int n = atomic_load(&w->npos);
        for (int i = 0; i < n; i++)
            if (w->tid[i] == tid && atomic_load(&w->busy[i]))
                return true;
    }
    return false;
}

void cw_wait_for_second(cw_watch *w)
{
    for (int i = 0; i < 1000 && atomic_load(&w->second_claimed) && !atomic_load(&w->second_ready); i++) {
        struct timespec ts = { 0, 100 * 1000 };
        nanosleep(&ts, NULL);
    }
}

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
static bool others_wait_for_me(const cw_watch *w, const int *idx, int k, int n_others)
{
    const cw_thread *me = cw_tls_self;
    if (!me || k == 0 || k < n_others)
        return false;   /* a thread not tracked could still come */
    bool stuck[TRACKED] = { false };
    int nstuck = 0, alive = 0;
    for (int j = 0; j < k; j++)
        if (!cw_pos_alive(w, idx[j]))
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

void cw_pause_for_others(cw_watch *w, unsigned pos, uint64_t t0)
{
    int idx[TRACKED];
    uint64_t run0[TRACKED], slices0[TRACKED];
    int k = 0, n_others = 0, n = atomic_load(&w->npos);
    for (int i = 0; i < n; i++) {
        if (i == (int)pos || !cw_pos_alive(w, i))
            continue;
        n_others++;
        if (k < TRACKED && cw_task_sched(w->tid[i], &run0[k], &slices0[k]))
            idx[k++] = i;
    }
    for (;;) {
        struct timespec ts = { 0, 100 * 1000 };
        nanosleep(&ts, NULL);
        if (atomic_load(&w->second_claimed))
            return;
        uint64_t elapsed = cw_now_ns() - t0;
        if (elapsed >= cw_flags.race_stall_max_ns)
            return;
        if (atomic_load(&w->npos) == n && others_wait_for_me(w, idx, k, n_others)) {
            if (cw_race_debug)
                snprintf(w->why, sizeof w->why, " every other thread waits for a lock the paused one holds");
            return;
        }
        if (elapsed < cw_flags.race_stall_ns)
            continue;
        bool waiting = false;
        size_t len = 0;
        for (int j = 0; j < k && !waiting; j++) {
            pid_t tid = w->tid[idx[j]];
            uint64_t run, slices;
            if (!cw_task_sched(tid, &run, &slices))
                continue;
            bool runnable = cw_task_runnable(tid);
            uint32_t period = cw_task_wake_period_us(tid);
            const cw_thread *t = w->thr[idx[j]];
            bool lock_wait = t && atomic_load(&t->wait.addr) != 0;
            if (thread_in_handler(tid))
                waiting = true;
            else if (runnable && run - run0[j] < ENOUGH_CPU_NS)
                waiting = true;
            else if (!runnable && !lock_wait && slices == slices0[j] && period &&
                     period * 1000ull * 2 < cw_flags.race_stall_max_ns)
                waiting = true;
            if (cw_race_debug && len < sizeof w->why - 128)
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

bool cw_write_pending_elsewhere(cw_watch *w, unsigned pos)
{
    int n = atomic_load(&w->npos), checked = 0;
    for (int i = 0; i < n && checked < TRACKED; i++) {
        if (i == (int)pos || !cw_pos_alive(w, i))
            continue;
        checked++;
        uint64_t accesses;
        /* A trap counted by the kernel that its handler has not taken yet
         * (a read or a write: only the instruction tells). */
        if (atomic_load(&w->deciding[i]) ||
            (cw_backend->pos_counts(w, i, &accesses) && accesses > atomic_load(&w->handled[i])))
            return true;
    }
    return false;
}

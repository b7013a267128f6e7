/* The findings lock events decide on the spot.  The rules are in
 * lock_findings.h. */
#include "lock_findings.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lock_events.h"
#include "lock_table.h"
#include "node_info.h"
#include "predicted_cycles.h"
#include "record_writer.h"
#include "analysis/lock_order.h"
#include "common/record_format.h"
#include "python/py_lock_types.h"
#include "stacks/stack_capture.h"

/* ---- names in reports -------------------------------------------------- */

void cw_thread_label(uint32_t index, char *buf, unsigned size)
{
    snprintf(buf, size, "T%u", index);
}

/* What a report calls a lock: a CPython lock by what the user made (Lock,
 * RLock, Condition...), anything else by its kind. */
static const char *type_name(int kind, int py_type)
{
    const char *py = cw_py_lock_type_name(py_type);
    return py ? py : cw_lock_kind_name(kind);
}

const char *cw_lock_type_name(uintptr_t addr, int kind)
{
    cw_lock_slot *slot = cw_lock_table_find(addr);
    return type_name(kind, slot ? (int)cw_lock_py_type(slot) : 0);
}

static const char *node_type_name(const cw_node_info *info)
{
    return info ? type_name(info->kind, info->py_type) : "lock";
}

/* ---- a lock in a finding ----------------------------------------------- */

typedef struct lock_desc {
    cw_stack_id stack;
    bool created;
} lock_desc;

static lock_desc describe_lock(uintptr_t addr, cw_stack_id fallback)
{
    cw_lock_slot *slot = cw_lock_table_find(addr);
    cw_stack_id created = slot ? atomic_load(&slot->create_stack) : 0;
    return (lock_desc){ created ? created : fallback, created != 0 };
}

static void record_lock(cw_record *r, const char *id, cw_lock_kind kind, lock_desc d, uintptr_t addr)
{
    cw_record_lock(r, id, cw_lock_type_name(addr, kind), d.created ? "created" : "first used", d.stack, addr);
}

void cw_record_lock_at(cw_record *r, const char *id, cw_lock_kind kind, uintptr_t addr, cw_stack_id fallback)
{
    record_lock(r, id, kind, describe_lock(addr, fallback), addr);
}

/* ---- misuse and self-deadlock ------------------------------------------ */

void cw_lock_invalid(cw_thread *t, uintptr_t addr, uintptr_t pc)
{
    cw_lock_slot *slot = cw_lock_table_find(addr);
    if (!slot || !(atomic_load(&slot->flags) & CW_LOCK_DESTROYED) ||
        (atomic_fetch_or(&slot->flags, CW_LOCK_REPORTED_DESTROYED_USE) & CW_LOCK_REPORTED_DESTROYED_USE))
        return;
    char self[16];
    cw_thread_label(t->index, self, sizeof self);
    cw_record r;
    if (cw_record_begin(&r, "misuse", "%s locks mutex M1 that was destroyed", self) != 0)
        return;
    cw_stack_id destroyed = atomic_load(&slot->destroy_stack);
    record_lock(&r, "M1", CW_KIND_MUTEX, describe_lock(addr, 0), addr);
    cw_record_stack(&r, self, cw_capture_stack(pc), "locks M1 here");
    if (destroyed)
        cw_record_stack(&r, "", destroyed, "M1 was destroyed here (pthread_mutex_destroy)");
    cw_record_note(&r, "glibc fails the call with EINVAL: the program goes on without the lock it meant to hold");
    cw_record_end(&r);
}

void cw_self_deadlock(cw_thread *t, uintptr_t addr, cw_lock_kind kind, bool hangs, uintptr_t pc)
{
    char self[16];
    cw_thread_label(t->index, self, sizeof self);
    int i = cw_held_index(t, addr);
    cw_stack_id first = i >= 0 ? t->held[i].stack : 0;
    cw_record r;
    if (cw_record_begin(&r, "self-deadlock", "%s acquires %s M1 that it already holds", self,
                        cw_lock_type_name(addr, kind)) == 0) {
        record_lock(&r, "M1", kind, describe_lock(addr, first), addr);
        cw_record_stack(&r, self, cw_capture_stack(pc), "acquires M1 again here");
        if (first)
            cw_record_stack(&r, self, first, "first acquired M1 here");
        if (hangs)
            cw_record_note(&r, "this would wait forever; concwatch ended the program (exit %d)", CW_EXIT_FINDINGS);
        else
            cw_record_note(&r, "the call fails or times out instead of waiting forever; the program goes on");
        cw_record_end(&r);
    }
    if (hangs)
        _exit(CW_EXIT_FINDINGS);
}

cw_stack_id cw_lock_owner(pid_t owner_tid, uintptr_t addr, char *owner, unsigned size)
{
    owner[0] = '\0';
    cw_thread *o = owner_tid ? cw_thread_by_tid(owner_tid) : NULL;
    if (!o)
        return 0;
    cw_thread_label(o->index, owner, size);
    int i = cw_held_index(o, addr);
    return i >= 0 ? o->held[i].stack : 0;
}

void cw_unlock_misuse(cw_thread *t, uintptr_t addr, cw_lock_kind kind, pid_t owner_tid, uintptr_t pc)
{
    cw_lock_slot *slot = cw_lock_table_find(addr);
    uint32_t flags = slot ? atomic_load(&slot->flags) : 0;
    if (flags & CW_LOCK_FREED) {
        /* Its memory was freed while it was locked, which was reported:
         * unlocking it now (glibc's free overwrote its owner) is that bug. */
        int i = cw_held_index(t, addr);
        if (i >= 0)
            cw_held_remove(t, i);
        return;
    }
    /* The lock of a destroyed mutex failed (EINVAL, reported): its unlock
     * fails too, and is the same bug. */
    if (flags & CW_LOCK_REPORTED_DESTROYED_USE)
        return;
    /* An rwlock unlocked while nobody holds it: glibc's reader count is
     * off by one from now on, and its destroy would find it "locked". */
    if (slot && kind == CW_KIND_RWLOCK && owner_tid == 0)
        atomic_fetch_or(&slot->flags, CW_LOCK_MISCOUNTED);
    char self[16], owner[16];
    cw_thread_label(t->index, self, sizeof self);
    cw_stack_id owner_stack = cw_lock_owner(owner_tid, addr, owner, sizeof owner);
    cw_record r;
    int rc = owner_tid == 0
        ? cw_record_begin(&r, "misuse", "%s unlocks %s M1 that is not locked", self, cw_lock_type_name(addr, kind))
        : cw_record_begin(&r, "misuse", "%s unlocks %s M1 held by %s", self, cw_lock_type_name(addr, kind),
                          owner[0] ? owner : "another thread");
    if (rc != 0)
        return;
    record_lock(&r, "M1", kind, describe_lock(addr, owner_stack), addr);
    cw_record_stack(&r, self, cw_capture_stack(pc), "unlocks M1 here");
    if (owner_stack)
        cw_record_stack(&r, owner, owner_stack, "locked M1 here");
    cw_record_end(&r);
}

void cw_lock_robust(uintptr_t addr)
{
    cw_lock_slot *slot = cw_lock_table_get(addr);
    if (slot)
        atomic_fetch_or(&slot->flags, CW_LOCK_ROBUST);
}

static bool is_robust(uintptr_t addr)
{
    cw_lock_slot *slot = cw_lock_table_find(addr);
    return slot && (atomic_load(&slot->flags) & CW_LOCK_ROBUST);
}

void cw_thread_exiting(cw_thread *t, uintptr_t pc, bool cancelled)
{
    cw_held_drop_stale(t);
    for (uint32_t i = 0; i < t->nheld; i++) {
        const cw_held_lock *h = &t->held[i];
        if (h->kind == CW_KIND_SEMAPHORE)
            continue;   /* another thread may legitimately post it */
        if (h->kind == CW_KIND_MUTEX && is_robust(h->addr))
            continue;   /* made for owners that end holding it */
        cw_lock_slot *slot = cw_lock_table_find(h->addr);
        if (slot && (atomic_load(&slot->flags) & CW_LOCK_FREED))
            continue;   /* its memory was freed while locked: reported then */
        char self[16];
        cw_thread_label(t->index, self, sizeof self);
        cw_record r;
        if (cw_record_begin(&r, "misuse", "%s %s while holding %s M1", self,
                            cancelled ? "is cancelled" : "exits", cw_lock_type_name(h->addr, h->kind)) != 0)
            continue;
        record_lock(&r, "M1", h->kind, describe_lock(h->addr, h->stack), h->addr);
        cw_record_stack(&r, self, h->stack, "locked M1 here");
        if (pc) {
            cw_record_stack(&r, self, cw_capture_stack(pc), "exits here (pthread_exit)");
        } else if (t->create_stack) {
            char parent[16];
            cw_thread_label(t->parent, parent, sizeof parent);
            cw_record_stack(&r, parent, t->create_stack, "%s, which %s holding M1, was created here", self,
                            cancelled ? "was cancelled (pthread_cancel)" : "returned");
        }
        cw_record_end(&r);
    }
    t->nheld = 0;
}

/* ---- lock-order cycles ------------------------------------------------- */

/*
 * Many cycles, few findings.  A program that takes many locks in many orders
 * (48 locks, 2000 random nestings: bench/many_orders) closes a new cycle with
 * nearly every new edge, over ever new sets of locks: hundreds of findings
 * whose stacks are all the same few lines of code.  What a user fixes is
 * code, so a cycle becomes a finding only when one of its edges was taken at
 * a pair of stacks (holding-here, acquiring-here) that no reported cycle had:
 * one finding per piece of code that takes locks in conflicting orders.  The
 * rest are counted (cw_cycles_not_reported) and cost no stack, no record and
 * no symbolization (predicted_cycles.h).
 */
/* Whether the cycle has an edge taken at code no reported cycle had (see
 * cw_code_pairs_new). */
static bool cycle_has_new_code(const cw_cycle *cycle)
{
    uint64_t pairs[CW_MAX_CYCLE];
    for (size_t i = 0; i < cycle->n; i++)
        pairs[i] = cw_code_pair(cycle->edges[i].first.from_stack, cycle->edges[i].first.to_stack);
    return cw_code_pairs_new(pairs, cycle->n);
}

/* One finding per cycle of new code: every edge with the stack that took it
 * and the stack where the thread had taken the lock it was holding. */
void cw_report_lock_cycle(const cw_cycle *found)
{
    if (!cycle_has_new_code(found))
        return;
    /* Start the story with the thread that came first (lowest T number). */
    cw_cycle rotated;   /* on the stack: two reports may be written at once (graph_lock, report_lock) */
    size_t start = 0;
    for (size_t i = 1; i < found->n; i++)
        if (found->edges[i].first.thread < found->edges[start].first.thread)
            start = i;
    rotated.n = found->n;
    for (size_t i = 0; i < found->n; i++)
        rotated.edges[i] = found->edges[(start + i) % found->n];
    const cw_cycle *cycle = &rotated;

    char threads[256] = "";
    size_t tl = 0;
    char path[512] = "";
    size_t pl = 0;
    for (size_t i = 0; i < cycle->n; i++) {
        pl += (size_t)snprintf(path + pl, pl < sizeof path ? sizeof path - pl : 0, "M%zu -> ", i + 1);
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= cycle->edges[j].first.thread == cycle->edges[i].first.thread;
        if (seen)
            continue;
        char label[16];
        cw_thread_label(cycle->edges[i].first.thread, label, sizeof label);
        tl += (size_t)snprintf(threads + tl, tl < sizeof threads ? sizeof threads - tl : 0,
                               "%s%s", tl ? ", " : "", label);
    }
    if (pl < sizeof path)
        snprintf(path + pl, sizeof path - pl, "M1");

    cw_record r;
    if (cw_record_begin(&r, "lock-order-inversion", "cycle %s in the lock order of %s %s", path,
                        strchr(threads, ',') ? "threads" : "thread", threads) != 0)
        return;
    cw_record_note(&r, "cycles among other locks taken by the same code are not reported again: one finding "
                       "per piece of code that takes locks in conflicting orders");
    for (size_t i = 0; i < cycle->n; i++) {
        const cw_node_info *info = cw_node_info_get(cycle->edges[i].from);
        char id[24];
        snprintf(id, sizeof id, "M%zu", i + 1);
        cw_record_lock(&r, id, node_type_name(info), info && info->created ? "created" : "first used",
                       info ? info->stack : 0, info ? info->addr : 0);
    }
    for (size_t i = 0; i < cycle->n; i++) {
        const cw_cycle_edge *e = &cycle->edges[i];
        size_t to = (i + 1) % cycle->n + 1, from = i + 1;
        char label[16];
        cw_thread_label(e->first.thread, label, sizeof label);
        const cw_node_info *to_info = cw_node_info_get(e->to), *from_info = cw_node_info_get(e->from);
        cw_record_stack(&r, label, e->first.to_stack, "%s M%zu acquired%s here while holding %s M%zu%s in thread %s",
                        node_type_name(to_info), to,
                        e->first.to_read ? " for reading" : "",
                        node_type_name(from_info), from,
                        e->first.from_read ? " (for reading)" : "", label);
        cw_record_stack(&r, label, e->first.from_stack, "M%zu previously acquired by the same thread here", from);
    }
    cw_record_end(&r);
}

#define _GNU_SOURCE
#include "lock_events.h"

#include <errno.h>
#include <time.h>
#include <string.h>

#include "known_edges.h"
#include "lock_findings.h"
#include "lock_pages.h"
#include "lock_table.h"
#include "object_table.h"
#include "node_info.h"
#include "predicted_cycles.h"
#include "python_sites.h"
#include "shared_locks.h"
#include "record_writer.h"
#include "analysis/lock_order.h"
#include "common/clock.h"
#include "common/hash.h"
#include "common/record_format.h"
#include "common/shim_flags.h"
#include "common/shim_health.h"
#include "common/spin_lock.h"
#include "python/py_lock_types.h"
#include "stacks/python_stacks.h"
#include "stacks/stack_capture.h"

/* Everything behind this lock is the slow path: the graph, node descriptions. */
static cw_spin_lock graph_lock;
static cw_lock_order *order;

bool cw_trywait_is_acquire;

static uint64_t events_start_ns;
static _Atomic uint64_t exact_spent_ns;

void cw_events_init(void)
{
    events_start_ns = cw_now_ns();
    cw_spin_lock_acquire(&graph_lock);
    if (!order)
        order = cw_lock_order_new();
    cw_spin_lock_release(&graph_lock);
    if (!order)
        cw_shim_off("out of memory: the lock-order graph");
}

void cw_events_before_fork(void)
{
    cw_spin_lock_acquire(&graph_lock);
    cw_lock_table_before_fork();
}

void cw_events_after_fork(void)
{
    cw_lock_table_after_fork();
    cw_spin_lock_release(&graph_lock);
}

void cw_events_after_fork_child(cw_thread *t)
{
    for (int i = (int)t->nheld - 1; i >= 0; i--)
        if (t->held[i].kind == CW_KIND_SEMAPHORE)
            cw_held_remove(t, i);
}


/* ---- lock table, through the thread's cache ----------------------------- */

static inline cw_lock_slot *slot_lookup(cw_thread *t, uintptr_t addr, bool insert)
{
    typeof(t->slots[0]) *c = &t->slots[cw_hash_addr(addr, CW_SLOT_CACHE_BITS)];
    if (c->addr == addr && addr)
        return c->slot;
    cw_lock_slot *slot = insert ? cw_lock_table_get(addr) : cw_lock_table_find(addr);
    if (slot) {
        c->addr = addr;
        c->slot = slot;
    }
    return slot;
}

/* The slot for addr, inserting it if needed (NULL: not tracked). */
static cw_lock_slot *slot_get(cw_thread *t, uintptr_t addr) { return slot_lookup(t, addr, true); }
/* The slot for addr if the table has it. */
static cw_lock_slot *slot_find(cw_thread *t, uintptr_t addr) { return slot_lookup(t, addr, false); }

/* ---- graph nodes ------------------------------------------------------- */

/* Locks whose memory free() and munmap() look for (lock_pages.h): not
 * semaphores, which CPython frees held, legitimately. */
static bool is_memory_lock(cw_lock_kind kind)
{
    return kind == CW_KIND_MUTEX || kind == CW_KIND_RWLOCK || kind == CW_KIND_SPINLOCK;
}

/* Initialised while the shim watched: already in lock_pages. */
static bool created_seen(cw_lock_slot *slot)
{
    return atomic_load(&slot->create_stack) != 0;
}

/* Under graph_lock: the graph node of the lock now living in slot, made if
 * it has none yet. */
static uint64_t node_make(cw_lock_slot *slot, uintptr_t addr, cw_lock_kind kind, cw_stack_id first_use)
{
    uint64_t node = atomic_load(&slot->node);
    if (!node && order) {
        node = cw_test_fault(CW_FAULT_GRAPH_OOM) ? 0 : cw_lock_order_node_new(order);
        if (!node)   /* (the graph's malloc failed) */
            cw_shim_off("out of memory: a node of the lock-order graph");
        if (node) {
            cw_stack_id created = atomic_load(&slot->create_stack);
            cw_node_info info = {
                .node = node, .addr = addr, .kind = (uint8_t)kind, .py_type = (uint8_t)cw_lock_py_type(slot),
                .stack = created ? created : first_use, .created = created != 0,
                .create_seq = atomic_load(&slot->create_seq),
            };
            info.class_key = cw_predicted_class_key(&info);
            cw_node_info_put(&info);
            atomic_store(&slot->node, node);
        }
    }
    if (node && !created_seen(slot) && is_memory_lock(kind))
        cw_lock_pages_add(addr);   /* statically initialised: now known to free() too (lock-free) */
    return node;
}

/* The graph nodes of the thread's held locks and of the lock it takes at
 * addr, made on first need, all under one taking of graph_lock; returns the
 * node of the lock taken (0: none).  The held ones first: a lock first met
 * inside others gets its node after theirs, so when node slots are reused
 * the usual order (outer lock made first) still agrees with the graph's
 * ranks and needs no re-ranking. */
static uint64_t resolve_nodes(cw_thread *t, uintptr_t addr, cw_lock_kind kind, cw_stack_id first_use)
{
    bool locked = false;
    for (uint32_t i = 0; i < t->nheld; i++) {
        cw_held_lock *h = &t->held[i];
        if (h->node)
            continue;
        cw_lock_slot *slot = slot_get(t, h->addr);
        if (!slot)
            continue;
        uint64_t node = atomic_load_explicit(&slot->node, memory_order_acquire);
        if (!node) {
            if (!locked)
                cw_spin_lock_acquire(&graph_lock);
            locked = true;
            node = node_make(slot, h->addr, h->kind, h->stack);
        }
        h->node = node;
    }
    cw_lock_slot *slot = slot_get(t, addr);
    uint64_t to = slot ? atomic_load_explicit(&slot->node, memory_order_acquire) : 0;
    if (slot && !to) {
        if (!locked)
            cw_spin_lock_acquire(&graph_lock);
        locked = true;
        to = node_make(slot, addr, kind, first_use);
    }
    if (locked)
        cw_spin_lock_release(&graph_lock);
    return to;
}

/* Semaphore holds end when anyone posts: a stale entry is no lock held. */
static bool held_is_current(cw_thread *t, const cw_held_lock *h)
{
    if (h->kind != CW_KIND_SEMAPHORE)
        return true;
    cw_lock_slot *slot = slot_find(t, h->addr);
    return slot && atomic_load(&slot->sem_epoch) == h->epoch;
}

void cw_held_drop_stale(cw_thread *t)
{
    for (int i = (int)t->nheld - 1; i >= 0; i--)
        if (!held_is_current(t, &t->held[i]))
            cw_held_remove(t, i);
}

/* ---- lock-order edges -------------------------------------------------- */

/* What else was held matters to the gate-lock rule: the per-thread edge
 * cache key includes an order-independent digest of the whole held set. */
static uint64_t held_context(const cw_thread *t)
{
    uint64_t ctx = 0;
    for (uint32_t i = 0; i < t->nheld; i++)
        ctx += cw_mix64(t->held[i].node * 2 + t->held[i].read);
    return ctx;
}

/* Whether this thread gave the graph this occurrence (from, to, held set)
 * before; a 64-bit fingerprint of it stands for it. */
static bool edge_cached(cw_thread *t, uint64_t from, uint64_t to, uint64_t ctx)
{
    uint64_t fp = cw_mix64(from ^ cw_mix64(to ^ ctx ^ 0x9e3779b97f4a7c15ull)) | 1;
    uint64_t *set = t->edges[(fp >> 32) & (CW_EDGE_SETS - 1)];
    if (cw_fp_has(set, fp))
        return true;
    cw_fp_put(set, fp);
    return false;
}

/* Held as a gate is: add_edge lists the held locks but thread-lifetime ones. */
static bool gate_held(const cw_thread *t, uint64_t node)
{
    for (uint32_t i = 0; i < t->nheld; i++)
        if (t->held[i].node == node && !t->held[i].not_gate)
            return true;
    return false;
}

/* Whether the occurrence from -> to with the thread's held set cannot change
 * the edge, by what the graph said of its gates before (known_edges.h).  Its
 * read flags are both off then: an occurrence's modes cannot turn them on. */
static bool edge_known(cw_thread *t, uint64_t from, uint64_t to)
{
    uint64_t gate;
    return cw_known_edge_get(from, to, &gate) && (!gate || gate_held(t, gate));
}

/* A found cycle waits here, out of graph_lock, while the closing edge's stack
 * is taken again: the site cache keeps one stack per call site, whose
 * callers may be another path's (transfer() called from pay() and from
 * refund() in one thread).  Capturing under graph_lock could wait on the
 * loader's lock held by a thread spinning for graph_lock. */
static cw_spin_lock report_lock;
static cw_cycle pending;   /* under report_lock */

/* A new edge's stacks are cached call-site stacks: one per call site and
 * thread, whose callers are those of the site's first use (all std::mutex
 * locks of a -O0 C++ thread share the one call site inside libstdc++).  A
 * new edge therefore gets a capture of its own, within a time budget
 * (a capture costs 10-150 us; a program making millions of edges keeps the
 * cached stacks): CONCWATCH_EDGE_STACK_ALLOWANCE_MS (5 ms), then
 * CONCWATCH_EDGE_STACK_BUDGET (2%) of the run time. */
/* In place of an interceptor's pc: the acquire is a CPython Lock's, made
 * with the GIL held, so the Python stack can be read now. */
#define PYTHON_NOW ((uintptr_t)1)

static cw_stack_id capture_now(uintptr_t pc)
{
    return pc == PYTHON_NOW ? cw_python_stack_capture() : cw_capture_stack(pc);
}

/* The held lock's stack re-rooted on the fresh one (native stacks only). */
static cw_stack_id reroot(cw_stack_id held, cw_stack_id fresh, uintptr_t pc)
{
    return pc == PYTHON_NOW ? held : cw_stack_reroot(held, fresh);
}

static void recapture_edge(const cw_held_lock *h, uint64_t to, uintptr_t pc)
{
    uint64_t t0 = cw_now_ns();
    uint64_t allowed = cw_flags.edge_stack_allowance_ns +
                       (uint64_t)((double)(t0 - events_start_ns) / 100 * cw_flags.edge_stack_budget);
    if (atomic_load(&exact_spent_ns) > allowed)
        return;
    cw_stack_id fresh = capture_now(pc);
    if (fresh) {
        cw_stack_id from_stack = reroot(h->stack, fresh, pc);
        cw_spin_lock_acquire(&graph_lock);
        if (order)
            cw_lock_order_set_first_stacks(order, h->node, to, from_stack, fresh);
        cw_spin_lock_release(&graph_lock);
    }
    atomic_fetch_add(&exact_spent_ns, cw_now_ns() - t0);
}

/* Both ends of a new edge, when both may be locks shared between processes
 * (under graph_lock: node descriptions). */
static bool shared_ends(const cw_held_lock *h, uint64_t to, cw_stack_id to_stack, cw_shared_end *from_end,
                        cw_shared_end *to_end)
{
    const cw_node_info *to_info = cw_node_info_get(to), *from_info = cw_node_info_get(h->node);
    if (!to_info || !from_info || !cw_lock_says_shared(h->addr, (cw_lock_kind)h->kind) ||
        !cw_lock_says_shared(to_info->addr, (cw_lock_kind)to_info->kind))
        return false;
    *from_end = (cw_shared_end){ .addr = h->addr, .kind = h->kind, .taken = h->stack, .made = from_info->stack,
                                 .created = from_info->created };
    *to_end = (cw_shared_end){ .addr = to_info->addr, .kind = to_info->kind, .taken = to_stack,
                               .made = to_info->stack, .created = to_info->created };
    return true;
}

/* Gives the graph one occurrence of held[from_i] -> to; then notes which
 * gate an occurrence must lack to change the edge (known_edges.h). */
static void add_edge(cw_thread *t, uint32_t from_i, uint64_t to, bool to_read, cw_stack_id to_stack,
                     uintptr_t pc)
{
    const cw_held_lock *h = &t->held[from_i];
    cw_edge_attrs attrs = {
        .from_stack = h->stack, .to_stack = to_stack, .thread = t->index,
        .from_read = h->read, .to_read = to_read,
    };
    for (uint32_t i = 0; i < t->nheld && attrs.ngates < CW_MAX_GATES; i++)
        if (i != from_i && t->held[i].node != h->node && t->held[i].node != to && !t->held[i].not_gate)
            attrs.gates[attrs.ngates++] = t->held[i].node;

    static cw_cycle cycle;   /* big; only used under graph_lock */
    bool later = false, created = false;
    uint64_t gate = 0;
    cw_spin_lock_acquire(&graph_lock);
    size_t before = order ? cw_lock_order_edge_count(order) : 0;
    cw_edge_result result = order ? cw_lock_order_add_edge(order, h->node, to, &attrs, &cycle) : CW_EDGE_KNOWN;
    if (result == CW_EDGE_CYCLE) {
        later = pc && cw_spin_lock_try(&report_lock);
        if (later)
            pending = cycle;
        else
            cw_report_lock_cycle(&cycle);   /* another report is being written: as recorded */
    } else {
        created = order && cw_lock_order_edge_count(order) > before;
        /* Noted from its second occurrence on: a lock made, nested once and
         * destroyed (churn) does not pay for a note nobody reads. */
        if (order && !created && cw_lock_order_edge_gates(order, h->node, to, &gate, 1) >= 0)
            cw_known_edge_put(h->node, to, gate);
    }
    if (result != CW_EDGE_KNOWN)   /* a new edge, or one that now holds less in common */
        cw_predicted_nesting(t, h, to, &attrs, result == CW_EDGE_CYCLE);
    cw_shared_end shared_from, shared_to;
    bool shared = result != CW_EDGE_KNOWN && shared_ends(h, to, to_stack, &shared_from, &shared_to);
    cw_spin_lock_release(&graph_lock);
    if (shared)
        cw_shared_nesting(t, &shared_from, &shared_to);
    if (created && pc)
        recapture_edge(h, to, pc);
    if (!later)
        return;
    cw_stack_id fresh = capture_now(pc);
    for (size_t i = 0; fresh && i < pending.n; i++)
        if (pending.edges[i].from == h->node && pending.edges[i].to == to) {
            pending.edges[i].first.to_stack = fresh;
            pending.edges[i].first.from_stack = reroot(pending.edges[i].first.from_stack, fresh, pc);
        }
    cw_report_lock_cycle(&pending);
    cw_spin_lock_release(&report_lock);
}

static bool is_signal(cw_thread *t, uintptr_t addr)
{
    cw_lock_slot *slot = slot_find(t, addr);
    return slot && (atomic_load(&slot->flags) & CW_LOCK_SIGNAL);
}

static void add_order_edges(cw_thread *t, uintptr_t addr, cw_lock_kind kind, bool read,
                            cw_stack_id to_stack, uintptr_t pc)
{
    if (kind == CW_KIND_SEMAPHORE && is_signal(t, addr))
        return;
    if (cw_held_index(t, addr) >= 0)
        return;   /* re-entry of a lock already held (recursive): it does not wait */
    cw_held_drop_stale(t);
    if (t->nheld == 0)
        return;
    uint64_t to = resolve_nodes(t, addr, kind, to_stack);
    if (!to)
        return;
    uint64_t ctx = held_context(t) + read;
    for (uint32_t i = 0; i < t->nheld; i++) {
        if (!t->held[i].node || t->held[i].node == to)
            continue;
        if (t->held[i].kind == CW_KIND_SEMAPHORE && is_signal(t, t->held[i].addr))
            continue;
        if (edge_known(t, t->held[i].node, to))
            continue;
        if (!edge_cached(t, t->held[i].node, to, ctx))
            add_edge(t, i, to, read, to_stack, pc);
    }
}

/* Retire epochs by address bucket: bumped when a lock that had a graph node
 * is retired, so that the nestings cached with a lock at that address are
 * recorded again (the lock there now is another one); nestings of the other
 * buckets' locks stay cached. */
#define RETIRE_BUCKET_BITS 12
static _Atomic uint32_t retire_epoch[1u << RETIRE_BUCKET_BITS];

/* A hold (or the lock being taken) as the nesting cache sees it: the lock's
 * address, mode and semaphore epoch (in the top bits, which addresses leave
 * free; a semaphore's epoch only tells a stale hold, its wrapping is
 * harmless), mixed, plus its bucket's retire epoch. */
#define MIX_K 0xff51afd7ed558ccdull   /* cw_mix64's multiplier, for every multiply here: one constant */

static inline uint32_t retire_bucket(uintptr_t addr)
{
    return (uint32_t)(((uint64_t)addr * MIX_K) >> (64 - RETIRE_BUCKET_BITS));
}

static inline uint64_t hold_key(uintptr_t addr, bool read, uint32_t sem_epoch)
{
    uint32_t retired = atomic_load_explicit(&retire_epoch[retire_bucket(addr)], memory_order_acquire);
    /* The retire epoch whole, as a term of its own: folded into the top bits
     * with the address it would wrap after 65536 retirements, and a loop
     * making, nesting and destroying locks at the same addresses would then
     * find its old nestings cached and skip new locks' edges. */
    return cw_mix64(((uint64_t)addr * 2 + read) ^ ((uint64_t)sem_epoch << 48)) + (uint64_t)retired * MIX_K;
}

/* The held set's part of the digest (order-independent: a sum). */
__attribute__((noinline)) static uint64_t held_digest(const cw_thread *t)
{
    uint64_t digest = 0;
    for (uint32_t i = 0; i < t->nheld; i++)
        digest += hold_key(t->held[i].addr, t->held[i].read, t->held[i].epoch);
    return digest;
}

static inline uint64_t *nesting_set(cw_thread *t, uint64_t digest)
{
    return t->nested[(digest >> 32) & (CW_NESTED_SETS - 1)];
}

/* The nesting was not in the cache: its edges, then it goes in.  Six
 * arguments (kind and mode packed): the fast path ends in a jump here. */
__attribute__((noinline)) static void nesting_miss(cw_thread *t, uint64_t digest, uintptr_t addr,
                                                   unsigned kind_read, cw_stack_id stack, uintptr_t pc)
{
    int saved = errno;   /* the slow path may make system calls */
    add_order_edges(t, addr, (cw_lock_kind)(kind_read >> 1), kind_read & 1, stack, pc);
    errno = saved;
    cw_fp_put(nesting_set(t, digest), digest);
}

/* Edges from every lock held to the one taken at addr, unless this very
 * nesting (the same held set taking the same lock) was fully recorded before:
 * the common case, a loop taking the same locks the same way, then costs a
 * digest of the held set and a probe of the thread's nesting cache, without
 * node lookups or the edge caches. */
static inline void add_nesting(cw_thread *t, uintptr_t addr, cw_lock_kind kind, bool read, cw_stack_id stack,
                               uintptr_t pc)
{
    /* The lock being taken is weighed apart from the held ones: holding a
     * while taking b must not look like holding b while taking a (ABBA in
     * one thread). */
    uint64_t digest = hold_key(addr, read, 0) * MIX_K;
    digest += t->nheld == 1 ? hold_key(t->held[0].addr, t->held[0].read, t->held[0].epoch) : held_digest(t);
    digest |= 1;
    if (__builtin_expect(!cw_fp_has(nesting_set(t, digest), digest), 0))
        nesting_miss(t, digest, addr, (unsigned)kind << 1 | read, stack, pc);
}

void cw_acquired_nested(cw_thread *t, uintptr_t addr, cw_lock_kind kind, bool read, cw_stack_id stack,
                        uintptr_t pc)
{
    add_nesting(t, addr, kind, read, stack, pc);
}

__attribute__((noinline)) static int acquired_general(cw_thread *t, uintptr_t addr, unsigned packed, uintptr_t pc)
{
    cw_acquired(t, addr, (cw_lock_kind)(packed & 0xff), (packed >> 8) & 1, (cw_acquire_mode)(packed >> 9), pc);
    t->depth = 0;
    return 0;
}

/* The common case of the out-of-line part, without a call (so no register
 * saving): one lock held and this nesting already recorded, or a trylock
 * over held ones; the rest goes to acquired_general. */
int cw_acquired_out_of_line(cw_thread *t, uintptr_t addr, unsigned packed, uintptr_t pc)
{
    cw_site *site = cw_thread_site_slot(t, pc);
    uint32_t n = t->nheld;
    if (site->pc != pc || n == 0 || n >= CW_MAX_HELD)
        return acquired_general(t, addr, packed, pc);
    cw_stack_id stack = site->stack;
    bool read = (packed >> 8) & 1;
    if ((cw_acquire_mode)(packed >> 9) != CW_ACQ_TRY) {
        if (n != 1)
            return acquired_general(t, addr, packed, pc);
        uint64_t digest = hold_key(addr, read, 0) * MIX_K +
                          hold_key(t->held[0].addr, t->held[0].read, t->held[0].epoch);
        digest |= 1;
        if (!cw_fp_has(nesting_set(t, digest), digest))
            return acquired_general(t, addr, packed, pc);
    }
    cw_held_lock *h = &t->held[n];
    h->addr = addr;
    h->node = 0;
    h->stack = stack;
    h->epoch = 0;
    h->kind = (uint8_t)(packed & 0xff);
    h->read = read;
    h->not_gate = 0;
    h->unused = 0;
    t->nheld = n + 1;
    t->depth = 0;
    return 0;
}

/* ---- lock lifetime ----------------------------------------------------- */

/* A new lock at addr: the old one's node (and its edges) must not connect to it. */
static void retire_node(cw_lock_slot *slot, uintptr_t addr)
{
    if (!atomic_load_explicit(&slot->node, memory_order_relaxed))
        return;   /* never nested: nothing to retire (no atomic write) */
    uint64_t old = atomic_exchange(&slot->node, 0);
    if (!old)
        return;
    atomic_fetch_add_explicit(&retire_epoch[retire_bucket(addr)], 1, memory_order_release);
    int saved = errno;   /* the graph may allocate: init/destroy's fast paths keep no errno */
    cw_spin_lock_acquire(&graph_lock);
    cw_predicted_forget(old);
    if (order)
        cw_lock_order_node_remove(order, old);
    cw_node_info_remove(old);
    cw_spin_lock_release(&graph_lock);
    errno = saved;
}

void cw_lock_created(cw_thread *t, uintptr_t addr, cw_lock_kind kind, uintptr_t pc)
{
    cw_lock_slot *slot = slot_get(t, addr);
    if (!slot)
        return;
    retire_node(slot, addr);
    /* Plain stores (relaxed): a sequentially consistent store is a locked
     * instruction on x86, and nothing here orders other memory. */
    atomic_store_explicit(&slot->kind, (uint16_t)kind, memory_order_relaxed);
    atomic_store_explicit(&slot->flags, 0, memory_order_relaxed);
    static _Atomic uint32_t creations;
    atomic_store(&slot->create_seq, atomic_fetch_add(&creations, 1) + 1);
    cw_object_slot *object = cw_object_table_find(addr);
    if (object)
        atomic_store(&object->shared_id, 0);   /* a new lock: its mapping is looked up again */
    atomic_store_explicit(&slot->create_stack, cw_thread_site_stack(t, pc), memory_order_relaxed);
    if (is_memory_lock(kind))
        cw_lock_pages_add(addr);
}

void cw_lock_destroyed(cw_thread *t, uintptr_t addr, cw_lock_kind kind, bool held, uintptr_t pc)
{
    cw_lock_slot *slot = slot_find(t, addr);
    /* glibc's count was broken by a misuse already reported (an extra
     * unlock): "locked" is that bug again, not a second one. */
    if (held && slot && (atomic_load(&slot->flags) & CW_LOCK_MISCOUNTED))
        held = false;
    if (held) {
        char self[16];
        cw_thread_label(t->index, self, sizeof self);
        int i = cw_held_index(t, addr);
        cw_record r;
        if (cw_record_begin(&r, "misuse", "%s destroys %s M1 while it is locked", self,
                            cw_lock_type_name(addr, kind)) == 0) {
            cw_record_lock_at(&r, "M1", kind, addr, i >= 0 ? t->held[i].stack : 0);
            cw_record_stack(&r, self, cw_capture_stack(pc), "destroys M1 here");
            if (i >= 0)
                cw_record_stack(&r, self, t->held[i].stack, "locked M1 here");
            cw_record_end(&r);
        }
    }
    if (slot) {
        retire_node(slot, addr);
        atomic_store_explicit(&slot->create_stack, 0, memory_order_relaxed);
        atomic_store(&slot->destroy_stack, cw_thread_site_stack(t, pc));
        atomic_fetch_or(&slot->flags, CW_LOCK_DESTROYED);
    }
    if (is_memory_lock(kind))
        cw_lock_pages_remove(addr);
    int i = cw_held_index(t, addr);
    if (i >= 0)
        cw_held_remove(t, i);
}

void cw_lock_forgotten(cw_thread *t, uintptr_t addr, bool held_elsewhere)
{
    cw_lock_pages_remove(addr);
    cw_lock_slot *slot = cw_lock_table_find(addr);
    if (slot) {
        retire_node(slot, addr);
        atomic_store(&slot->create_stack, 0);
        if (held_elsewhere)
            atomic_fetch_or(&slot->flags, CW_LOCK_FREED);
    }
    int i = cw_held_index(t, addr);
    if (i >= 0)
        cw_held_remove(t, i);
}

/* ---- semaphores -------------------------------------------------------- */

/* cw_semaphore_created keeps a CPython lock's type in its slot's flags. */
_Static_assert(CW_PY_THREAD <= (CW_LOCK_PY_TYPE_MASK >> CW_LOCK_PY_TYPE_SHIFT), "lock types fit in flags");

/* In CPython the native frames are the interpreter's own: where a Python
 * lock is made or taken, the Python site is what the user can act on. */
static cw_stack_id semaphore_site(cw_thread *t, uintptr_t pc, cw_python_site *py)
{
    if (cw_trywait_is_acquire && cw_python_site_here(t, py))
        return py->stack;
    *py = (cw_python_site){ 0 };
    return cw_thread_site_stack(t, pc);
}

void cw_semaphore_created(cw_thread *t, uintptr_t addr, unsigned value, uintptr_t pc)
{
    cw_lock_created(t, addr, CW_KIND_SEMAPHORE, pc);
    cw_lock_slot *slot = slot_get(t, addr);
    if (!slot)
        return;
    if (cw_trywait_is_acquire) {
        cw_python_site py;
        atomic_store(&slot->create_stack, semaphore_site(t, pc, &py));
        /* A Python lock is a semaphore made with value 1 (PyThread_allocate_lock);
         * others made under a Python call are the interpreter's (3.13's
         * parking lot makes one per wait, with value 0). */
        if (value == 1) {
            atomic_fetch_or(&slot->flags, (uint16_t)((py.lock_type << CW_LOCK_PY_TYPE_SHIFT) & CW_LOCK_PY_TYPE_MASK));
            if (py.waiter)
                atomic_fetch_or(&slot->flags, CW_LOCK_SIGNAL | CW_LOCK_WAITER);
            if (py.internal)
                atomic_fetch_or(&slot->flags, CW_LOCK_INTERNAL);
        }
    }
    atomic_store(&slot->sem_value0, value + 1);
    atomic_store(&slot->sem_taker, 0);
    atomic_fetch_add(&slot->sem_epoch, 1);
    /* CPython 3.13's Thread.join parks on a semaphore of its own: note whom
     * it waits for, as a 3.10-3.12 join's tstate lock tells by its taker. */
    unsigned long joined;
    cw_thread *j;
    if (cw_trywait_is_acquire && value == 0 && cw_py_joined_thread(&joined) &&
        (j = cw_thread_by_pthread((pthread_t)joined)) != NULL) {
        atomic_store(&slot->sem_taker, j->index + 1);
        atomic_fetch_or(&slot->flags, CW_LOCK_JOIN);
    }
}

/* A lock the program made in Python (threading's, _thread's, or a C
 * extension's made under a Python call), as cw_semaphore_created found.  The
 * runtime's own, made before any frame (tracemalloc's tables lock, taken
 * inside object allocation), are never looked at from Python: reading the
 * frames through the API there allocates, and tracemalloc, which holds that
 * lock, would take it again (a hang under `python -X tracemalloc`). */
static bool python_made(const cw_lock_slot *slot)
{
    return cw_trywait_is_acquire && (atomic_load_explicit(&slot->flags, memory_order_relaxed) & CW_LOCK_PY_TYPE_MASK);
}

/* Only a semaphore created with value 1 behaves as a lock; counting
 * semaphores (limiters) never take part in lock order. */
static cw_lock_slot *binary_semaphore(cw_thread *t, uintptr_t addr)
{
    cw_lock_slot *slot = slot_find(t, addr);
    return slot && atomic_load(&slot->sem_value0) == 2 ? slot : NULL;
}

void cw_semaphore_taken(cw_thread *t, uintptr_t addr, cw_acquire_mode mode, uintptr_t pc)
{
    cw_lock_slot *slot = binary_semaphore(t, addr);
    if (!slot)
        return;
    /* A blocking take in CPython runs without the GIL; its site was noted
     * by the trywait that failed just before, while the GIL was held. */
    cw_python_site py = { 0 };
    bool pending_site = mode != CW_ACQ_TRY && t->py_pending && t->py_pending_addr == addr;
    cw_stack_id stack = pending_site ? t->py_pending
                        : python_made(slot)          ? semaphore_site(t, pc, &py)
                                                     : cw_thread_site_stack(t, pc);
    bool nonblocking = py.nonblocking, lifetime = py.thread_lifetime;
    t->py_pending = 0;
    atomic_store_explicit(&slot->sem_taker, t->index + 1, memory_order_relaxed);
    atomic_store_explicit(&slot->sem_take_stack, stack, memory_order_relaxed);
    if (lifetime)
        atomic_fetch_or(&slot->flags, CW_LOCK_LIFETIME);
    /* In CPython a successful trywait is how every acquire of a free Lock
     * looks; it is a real trylock only when the Python call said so.  A
     * thread taking its lifetime lock, made a moment ago and reachable by
     * joiners only once the thread has ended, cannot wait either: no order
     * leads into it (in a fork's child, threading takes it anew under its
     * own _active_limbo_lock, which would close a cycle with any join). */
    if (mode == CW_ACQ_TRY && cw_trywait_is_acquire && !nonblocking && !lifetime)
        mode = CW_ACQ_BLOCKING;
    /* Through the nesting digest, as mutexes: a Python thread always holds
     * its lifetime lock, so every acquire is a nested one, mostly repeating
     * a nesting already recorded. */
    if (t->nheld > 0 && mode != CW_ACQ_TRY)
        cw_acquired_nested(t, addr, CW_KIND_SEMAPHORE, false, stack,
                           !cw_trywait_is_acquire                          ? pc
                           : !pending_site && (stack & CW_PYTHON_STACK_BIT) ? PYTHON_NOW   /* the GIL is held */
                                                                            : 0);
    if (t->nheld < CW_MAX_HELD)
        t->held[t->nheld++] = (cw_held_lock){
            .addr = addr, .stack = stack, .kind = CW_KIND_SEMAPHORE,
            .epoch = atomic_load(&slot->sem_epoch), .not_gate = lifetime,
        };
}

_Atomic uint32_t cw_cross_posts;

void cw_semaphore_posted(cw_thread *t, uintptr_t addr)
{
    cw_lock_slot *slot = binary_semaphore(t, addr);
    if (!slot)
        return;
    uint32_t taker = atomic_load_explicit(&slot->sem_taker, memory_order_relaxed);
    if (taker && taker != t->index + 1)
        atomic_fetch_add_explicit(&cw_cross_posts, 1, memory_order_relaxed);
    atomic_fetch_add(&slot->sem_epoch, 1);
    atomic_store_explicit(&slot->sem_taker, 0, memory_order_relaxed);
    int i = cw_held_index(t, addr);
    if (i >= 0)
        cw_held_remove(t, i);
}

bool cw_semaphore_orders(uintptr_t addr)
{
    if (!cw_trywait_is_acquire)
        return true;
    cw_lock_slot *slot = cw_lock_table_find(addr);
    if (!slot)
        return false;
    unsigned flags = atomic_load_explicit(&slot->flags, memory_order_relaxed);
    return (flags & CW_LOCK_PY_TYPE_MASK) && !(flags & (CW_LOCK_WAITER | CW_LOCK_INTERNAL));
}

void cw_semaphore_busy(cw_thread *t, uintptr_t addr)
{
    cw_lock_slot *slot = cw_trywait_is_acquire ? binary_semaphore(t, addr) : NULL;
    if (!slot || !python_made(slot))
        return;
    cw_python_site py;
    cw_python_site_here(t, &py);
    t->py_pending = py.stack;
    t->py_pending_addr = addr;
    /* Its holder is about to wait on it: a signal (Condition.wait's waiter),
     * or a Lock taken twice, which the hang watcher will tell. */
    int i = cw_held_index(t, addr);
    if (i >= 0 && held_is_current(t, &t->held[i]))
        atomic_fetch_or(&slot->flags, CW_LOCK_SIGNAL);
}

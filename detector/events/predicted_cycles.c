#include "predicted_cycles.h"

#include <stdio.h>
#include <string.h>

#include "lock_events.h"
#include "lock_kind.h"
#include "lock_pages.h"
#include "lock_table.h"
#include "node_info.h"
#include "record_writer.h"
#include "analysis/lock_classes.h"
#include "common/code_map.h"
#include "common/hash.h"
#include "common/shim_flags.h"
#include "common/spin_lock.h"
#include "stacks/python_stacks.h"
#include "stacks/stack_depot.h"

/* ---- code already reported ---------------------------------------------- */

#define CODE_PAIRS 4096
static cw_spin_lock code_pairs_lock;
static uint64_t code_pairs[CODE_PAIRS];   /* 0 = empty */
static size_t code_pairs_used;
_Atomic uint64_t cw_cycles_not_reported;

static uint64_t *code_slot(uint64_t key)
{
    size_t i = (size_t)cw_mix64(key) & (CODE_PAIRS - 1);
    while (code_pairs[i] && code_pairs[i] != key)
        i = (i + 1) & (CODE_PAIRS - 1);
    return &code_pairs[i];
}

bool cw_code_pairs_new(const uint64_t *pairs, size_t n)
{
    bool fresh = false;
    cw_spin_lock_acquire(&code_pairs_lock);
    if (code_pairs_used + n > CODE_PAIRS / 2)
        fresh = true;   /* full: every cycle is reported, as without this rule */
    for (size_t i = 0; !fresh && i < n; i++)
        fresh = *code_slot(pairs[i]) == 0;
    for (size_t i = 0; fresh && i < n && code_pairs_used < CODE_PAIRS / 2; i++) {
        uint64_t *slot = code_slot(pairs[i]);
        if (!*slot) {
            *slot = pairs[i];
            code_pairs_used++;
        }
    }
    cw_spin_lock_release(&code_pairs_lock);
    if (!fresh)
        atomic_fetch_add(&cw_cycles_not_reported, 1);
    return fresh;
}

/* ---- candidate order keys ------------------------------------------------ */

static cw_lock_classes *classes;   /* under the graph lock */

#define FIELD_SPAN 64               /* bytes looked at before and after a lock */
#define PAGE 4096u

static size_t lock_size(int kind)
{
    switch (kind) {
    case CW_KIND_MUTEX: return 40;
    case CW_KIND_RWLOCK: return 56;
    case CW_KIND_SPINLOCK: return 4;
    case CW_KIND_SEMAPHORE: return 32;
    default: return 64;
    }
}

/* The word of `size` bytes at addr + off, if it lies in addr's page (the
 * other pages around a lock may not be mapped). */
static bool read_word(uintptr_t addr, intptr_t off, size_t size, int64_t *out)
{
    uintptr_t at = addr + (uintptr_t)off;
    if ((at & ~(uintptr_t)(PAGE - 1)) != (addr & ~(uintptr_t)(PAGE - 1)) ||
        ((at + size - 1) & ~(uintptr_t)(PAGE - 1)) != (addr & ~(uintptr_t)(PAGE - 1)))
        return false;
    if (size == 4) {
        int32_t v;
        memcpy(&v, (const void *)at, 4);
        *out = v;
    } else {
        memcpy(out, (const void *)at, 8);
    }
    return true;
}

static void compare(int64_t a, int64_t b, unsigned bit, uint64_t *less, uint64_t *greater)
{
    if (a < b)
        *less |= 1ull << bit;
    else if (a > b)
        *greater |= 1ull << bit;
}

/* The known locks near addr: their state changes as they are taken, it is
 * no key. */
typedef struct nearby_locks {
    uintptr_t start[16], end[16];
    size_t n;
} nearby_locks;

static void find_nearby(uintptr_t addr, nearby_locks *out)
{
    uintptr_t lo = addr > 2 * FIELD_SPAN ? addr - 2 * FIELD_SPAN : 0;
    out->n = cw_lock_pages_find(lo, addr + 2 * FIELD_SPAN, out->start, 16);
    for (size_t i = 0; i < out->n; i++) {
        const cw_lock_slot *slot = cw_lock_table_find(out->start[i]);
        out->end[i] = out->start[i] + lock_size(slot ? atomic_load(&slot->kind) : CW_KIND_NONE);
    }
}

static bool inside_lock(const nearby_locks *near, uintptr_t at, size_t width)
{
    for (size_t i = 0; i < near->n; i++)
        if (at + width > near->start[i] && at < near->end[i])
            return true;
    return false;
}

/* Keys 2..33: 4-byte words, 34..49: 8-byte words, at the same offsets
 * around both locks (which are of one class, so of one layout), outside any
 * lock (their state is no key).  A word that cannot be read (another page)
 * or lies in a lock is unknown: its bit is set in both masks. */
static void field_keys(uintptr_t outer, uintptr_t inner, int kind, uint64_t *less, uint64_t *greater)
{
    intptr_t size = (intptr_t)lock_size(kind);
    nearby_locks near_outer, near_inner;
    find_nearby(outer, &near_outer);
    find_nearby(inner, &near_inner);
    unsigned bit = 2;
    for (unsigned width = 4; width <= 8; width += 4) {
        for (intptr_t off = -FIELD_SPAN; off < size + FIELD_SPAN; off += (intptr_t)width) {
            if (off >= 0 && off < size)
                continue;
            int64_t a, b;
            if (read_word(outer, off, width, &a) && read_word(inner, off, width, &b) &&
                !inside_lock(&near_outer, outer + (uintptr_t)off, width) &&
                !inside_lock(&near_inner, inner + (uintptr_t)off, width))
                compare(a, b, bit, less, greater);
            else
                *less |= 1ull << bit, *greater |= 1ull << bit;
            bit++;
        }
    }
}

/* ---- feeding the analysis ------------------------------------------------ */

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* threading.py and queue.py: the frames a Python site keeps inside the
 * user's (events/python_sites.h). */
static bool python_library_file(const char *file)
{
    return ends_with(file, "/threading.py") || ends_with(file, "/queue.py");
}

/* A file of CPython's standard library (.../lib/python3.X/..., not a
 * site-packages or dist-packages of it; frozen modules). */
static bool python_stdlib_file(const char *file)
{
    if (strncmp(file, "<frozen ", 8) == 0)
        return true;
    const char *p = strstr(file, "/lib/python3.");
    if (!p)
        return false;
    p += strlen("/lib/python3.");
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p != '/')
        return false;
    p++;
    return strncmp(p, "site-packages/", 14) != 0 && strncmp(p, "dist-packages/", 14) != 0;
}

/* The Python stack `stack` was taken in the standard library (its innermost
 * frame is there). */
static bool python_stdlib_stack(uint32_t stack)
{
    if (!(stack & CW_PYTHON_STACK_BIT))
        return false;
    const char *frames = cw_python_stack_text(stack);
    cw_python_frame f;
    return frames && cw_python_frame_next(&frames, &f) && python_stdlib_file(f.file);
}

/* Where the lock was made, as lockdep keys its classes: the place of the
 * init call (not its callers: the nodes of one list are one class, whoever
 * inserted them); for a CPython Lock, the innermost Python frame of its
 * creation.  0: not made while the shim watched (statically initialised). */
uint64_t cw_predicted_class_key(const cw_node_info *info)
{
    if (!info || !info->created || !info->stack)
        return 0;
    /* In CPython, a lock made without a Python frame is the interpreter's
     * own (the import lock, thread states): they all share one native init
     * site, and would be one class of unrelated locks. */
    if (cw_trywait_is_acquire && info->kind == CW_KIND_SEMAPHORE && !(info->stack & CW_PYTHON_STACK_BIT))
        return 0;
    if (info->stack & CW_PYTHON_STACK_BIT) {
        /* The innermost frame outside threading.py and queue.py, with the
         * frames of those inside it: every RLock() is made at one line of
         * threading.py, every Condition()'s at another, but the locks an
         * Account makes at its line and those a Future makes at its own
         * are classes of their own.  (These frames are exact: the cached
         * part of a Python stack is what lies outside them.) */
        const char *frames = cw_python_stack_text(info->stack);
        cw_python_frame f;
        uint64_t h = 0xcbf29ce484222325ull;
        bool any = false;
        while (frames && cw_python_frame_next(&frames, &f)) {
            for (const char *p = f.file; *p; p++)
                h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
            h = cw_mix64(h ^ (uint64_t)f.line);
            any = true;
            if (!python_library_file(f.file))
                break;
        }
        return any ? h | 1 : 0;
    }
    size_t n;
    const uintptr_t *pcs = cw_stack_depot_get(info->stack, &n);
    if (!pcs || !n)
        return 0;
    /* Made inside a shared library: most wrap the lock API (OpenSSL's
     * CRYPTO_THREAD_lock_new, GLib's g_mutex_init, libuv's uv_mutex_init), so
     * that one init call makes every lock of the library, whatever its role:
     * one class would merge them all (OpenSSL's own locks under CPython's
     * ssl module were predicted to cycle).  The callers that would tell the
     * roles apart are not known here (a creation stack beyond its call site
     * is the site's first one, from the per-site cache), so such locks get
     * no class: only the executable's own init sites (account_init() making
     * every account's lock) and Python's Lock() lines are classes. */
    const cw_code_range *site = cw_code_map_find(pcs[0]);
    return site && site->executable ? pcs[0] : 0;
}

/* The class of a node, now: a thread's lifetime lock (known once taken) is
 * waited for only by a join, and a join of this thread and a lock of that
 * one are no order between two classes. */
static uint64_t class_of(const cw_node_info *info)
{
    if (!info || !info->class_key)
        return 0;
    if (info->kind == CW_KIND_SEMAPHORE) {
        const cw_lock_slot *slot = cw_lock_table_find(info->addr);
        if (slot && (atomic_load(&slot->flags) & CW_LOCK_LIFETIME))
            return 0;
    }
    return info->class_key;
}

void cw_predicted_forget(uint64_t node)
{
    const cw_node_info *info = cw_node_info_get(node);
    if (classes && info && info->nested_in_class)
        cw_lock_classes_forget(classes, info->class_key, node);
}

static void report(const cw_class_cycle *c);

/* The nestings shown form a cycle of the locks themselves: a seen cycle,
 * the lock-order graph's to report. */
static bool instances_close(const cw_class_cycle *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->edges[i].inner != c->edges[(i + 1) % c->n].outer)
            return false;
    return c->n > 1;
}

void cw_predicted_nesting(const cw_thread *t, const cw_held_lock *h, uint64_t to, const cw_edge_attrs *attrs,
                          bool seen)
{
    if (!cw_flags.predict)
        return;
    const cw_node_info *outer = cw_node_info_get(h->node), *inner = cw_node_info_get(to);
    uint64_t outer_class = class_of(outer), inner_class = class_of(inner);
    if (!outer_class || !inner_class)
        return;
    /* Both locks taken by CPython's standard library: its own protocol, in
     * an order it keeps by what no lock shows (concurrent.futures' wait()
     * and as_completed() lock every Future's condition sorted by id() of
     * the Future), and no line the user could change. */
    if (python_stdlib_stack(attrs->from_stack) && python_stdlib_stack(attrs->to_stack))
        return;
    if (!classes && !(classes = cw_lock_classes_new()))
        return;
    cw_class_nesting n = {
        .outer_class = outer_class, .inner_class = inner_class, .outer = h->node, .inner = to,
        .outer_read = attrs->from_read, .inner_read = attrs->to_read,
        .outer_stack = attrs->from_stack, .inner_stack = attrs->to_stack, .thread = t->index,
    };
    compare((int64_t)(outer->addr >> 1), (int64_t)(inner->addr >> 1), 0, &n.keys_less, &n.keys_greater);
    if (outer->create_seq && inner->create_seq)
        compare((int64_t)outer->create_seq, (int64_t)inner->create_seq, 1, &n.keys_less, &n.keys_greater);
    if (outer_class == inner_class) {
        cw_node_info *edit = cw_node_info_edit(to);
        if (edit)
            edit->nested_in_class = true;   /* in the class's hierarchy: to forget when it goes */
    }
    /* Not around semaphores: CPython's live alone in their malloc block, among
     * the allocator's data and unrelated objects, where nothing is a key. */
    if (outer_class == inner_class && outer->kind == inner->kind && outer->kind != CW_KIND_SEMAPHORE)
        field_keys(outer->addr, inner->addr, outer->kind, &n.keys_less, &n.keys_greater);
    for (uint32_t i = 0; i < attrs->ngates && n.ngates < CW_CLASS_MAX_GATES; i++)
        n.gates[n.ngates++] = attrs->gates[i];
    cw_class_cycle c;
    if (cw_lock_classes_add(classes, &n, &c) && !seen && !instances_close(&c))
        report(&c);
}

/* ---- the finding ---------------------------------------------------------- */

typedef struct labels {
    uint64_t lock[2 * CW_MAX_CLASS_CYCLE + 2];
    size_t n;
} labels;

static size_t label(labels *l, uint64_t lock)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->lock[i] == lock)
            return i + 1;
    l->lock[l->n] = lock;
    return ++l->n;
}

static const char *kind_of(uint64_t node)
{
    const cw_node_info *info = cw_node_info_get(node);
    return info ? cw_lock_type_name(info->addr, info->kind) : "lock";
}

static void record_nesting(cw_record *r, labels *l, const cw_class_nesting *n)
{
    char thread[16];
    cw_thread_label(n->thread, thread, sizeof thread);
    size_t outer = label(l, n->outer), inner = label(l, n->inner);
    cw_record_stack(r, thread, n->inner_stack, "%s M%zu acquired here while holding %s M%zu%s in thread %s",
                    kind_of(n->inner), inner, kind_of(n->outer), outer, n->outer_read ? " (for reading)" : "",
                    thread);
    cw_record_stack(r, thread, n->outer_stack, "M%zu previously acquired by the same thread here", outer);
}

static void report(const cw_class_cycle *c)
{
    /* The code of a cycle already reported (seen or predicted) is not news. */
    uint64_t pairs[CW_MAX_CLASS_CYCLE + 1];
    size_t npairs = 0;
    for (size_t i = 0; i < c->n; i++)
        pairs[npairs++] = cw_code_pair(c->edges[i].outer_stack, c->edges[i].inner_stack);
    if (c->n == 1)
        pairs[npairs++] = cw_code_pair(c->other.outer_stack, c->other.inner_stack);
    if (!cw_code_pairs_new(pairs, npairs))
        return;

    labels l = { .n = 0 };
    for (size_t i = 0; i < c->n; i++) {
        label(&l, c->edges[i].outer);
        label(&l, c->edges[i].inner);
    }
    if (c->n == 1) {
        label(&l, c->other.outer);
        label(&l, c->other.inner);
    }
    char threads[128] = "";
    size_t tl = 0;
    const cw_class_nesting *shown[CW_MAX_CLASS_CYCLE + 1];
    size_t nshown = 0;
    for (size_t i = 0; i < c->n; i++)
        shown[nshown++] = &c->edges[i];
    if (c->n == 1)
        shown[nshown++] = &c->other;
    for (size_t i = 0; i < nshown; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= shown[j]->thread == shown[i]->thread;
        if (seen || tl >= sizeof threads)
            continue;
        char label_text[16];
        cw_thread_label(shown[i]->thread, label_text, sizeof label_text);
        tl += (size_t)snprintf(threads + tl, sizeof threads - tl, "%s%s", tl ? ", " : "", label_text);
    }
    bool several = strchr(threads, ',') != NULL;

    cw_record r;
    int rc = c->n == 1
        ? cw_record_begin(&r, "lock-order-inversion",
                          "predicted cycle: locks made at one place are taken inside each other in no fixed order "
                          "(M1 .. M%zu, %s %s)", l.n, several ? "threads" : "thread", threads)
        : cw_record_begin(&r, "lock-order-inversion",
                          "predicted cycle among locks made at %zu places: each kind is taken inside the next, "
                          "and the last inside the first (M1 .. M%zu, %s %s)", c->n, l.n,
                          several ? "threads" : "thread", threads);
    if (rc != 0)
        return;
    if (c->n == 1)
        cw_record_note(&r, "predicted, not seen: these locks never formed a cycle in this run, but locks made at "
                           "the same place were taken inside each other in an order that neither their addresses, "
                           "nor the order they were made in, nor the fields around them in their objects, nor a "
                           "parent-child hierarchy, nor a common outer lock explains: two threads doing this to the "
                           "same two locks in opposite directions at once deadlock.  Take them in one fixed order "
                           "(e.g. by address or by an id), or under one common lock");
    else
        cw_record_note(&r, "predicted, not seen: these locks never formed a cycle in this run, but locks made at "
                           "the same places were taken in opposite orders, here and there: two threads doing this "
                           "to the same locks at once deadlock.  Take locks of these kinds in one fixed order");
    for (size_t i = 0; i < l.n; i++) {
        const cw_node_info *info = cw_node_info_get(l.lock[i]);
        char id[24];
        snprintf(id, sizeof id, "M%zu", i + 1);
        cw_record_lock(&r, id, info ? cw_lock_type_name(info->addr, info->kind) : "lock", "created",
                       info ? info->stack : 0, info ? info->addr : 0);
    }
    labels again = { .n = 0 };
    for (size_t i = 0; i < l.n; i++)
        label(&again, l.lock[i]);
    for (size_t i = 0; i < nshown; i++)
        record_nesting(&r, &again, shown[i]);
    cw_record_end(&r);
}

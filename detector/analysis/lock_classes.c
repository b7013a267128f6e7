/*
 * Lock classes: a small graph of classes (nodes) and class edges, each edge
 * holding what its nestings have in common (the evidence of lock_classes.h),
 * plus, for a class nested in itself, the one outer instance each inner
 * instance was seen inside (the hierarchy test).
 */
#include "lock_classes.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"

#define NIL UINT32_MAX
#define DFS_MAX_STEPS 20000
#define MANY ((uint64_t)-1)    /* an inner instance seen inside two outer instances */

typedef struct cclass {
    uint64_t key;
    uint32_t out_head;          /* edges to other classes */
    uint32_t self;              /* the edge to itself, NIL if none */
    bool hierarchy_broken;
    bool on_path;               /* search scratch */
} cclass;

typedef struct cedge {
    uint32_t from, to;
    cw_class_nesting first;     /* the first nesting: its gates are the candidates */
    cw_class_nesting other;     /* a later nesting: the last one that weakened the evidence */
    uint8_t gate_mask;          /* bits of first.gates held on every nesting */
    bool outer_read, inner_read;   /* on every nesting */
    uint64_t less, greater;     /* keys ordering every nesting */
    uint32_t next_out;
} cedge;

typedef struct kv {
    uint64_t k1, k2;            /* k1 == 0: empty */
    uint64_t v;
} kv;

struct cw_lock_classes {
    cclass *cls;
    size_t ncls, cls_cap;
    cedge *edges;
    size_t nedges, edges_cap;
    kv *class_index;            /* class key -> class index */
    size_t ci_cap, ci_len;
    kv *edge_index;             /* (from, to) + 1 -> edge index */
    size_t ei_cap, ei_len;
    kv *outer_of;               /* (class index + 1, inner) -> outer instance or MANY */
    size_t oo_cap, oo_len;
    uint64_t *reported;         /* hashes of predicted class sets, 0 = empty */
    size_t rep_cap, rep_len;
};

/* ---- hash maps ---------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static size_t kv_probe(const kv *t, size_t cap, uint64_t k1, uint64_t k2)
{
    size_t i = (size_t)mix(k1 * 31 + k2) & (cap - 1);
    while (t[i].k1 && !(t[i].k1 == k1 && t[i].k2 == k2))
        i = (i + 1) & (cap - 1);
    return i;
}

static kv *kv_find(kv *t, size_t cap, uint64_t k1, uint64_t k2)
{
    if (!cap)
        return NULL;
    kv *e = &t[kv_probe(t, cap, k1, k2)];
    return e->k1 ? e : NULL;
}

/* The entry for (k1, k2), inserted with v when absent; NULL out of memory. */
static kv *kv_insert(kv **t, size_t *cap, size_t *len, uint64_t k1, uint64_t k2, uint64_t v)
{
    if ((*len + 1) * 2 > *cap) {
        size_t cap2 = *cap ? *cap * 2 : 64;
        kv *t2 = calloc(cap2, sizeof *t2);
        if (!t2)
            return NULL;
        for (size_t i = 0; i < *cap; i++)
            if ((*t)[i].k1)
                t2[kv_probe(t2, cap2, (*t)[i].k1, (*t)[i].k2)] = (*t)[i];
        free(*t);
        *t = t2;
        *cap = cap2;
    }
    kv *e = &(*t)[kv_probe(*t, *cap, k1, k2)];
    if (!e->k1) {
        *e = (kv){ k1, k2, v };
        (*len)++;
    }
    return e;
}

/* Backward-shift deletion: no tombstones under churn. */
static void kv_erase(kv *t, size_t cap, size_t *len, uint64_t k1, uint64_t k2)
{
    if (!cap)
        return;
    size_t hole = kv_probe(t, cap, k1, k2);
    if (!t[hole].k1)
        return;
    for (size_t j = (hole + 1) & (cap - 1); t[j].k1; j = (j + 1) & (cap - 1)) {
        size_t home = (size_t)mix(t[j].k1 * 31 + t[j].k2) & (cap - 1);
        if (((j - home) & (cap - 1)) >= ((j - hole) & (cap - 1))) {
            t[hole] = t[j];
            hole = j;
        }
    }
    t[hole].k1 = 0;
    (*len)--;
}

/* ---- classes and edges -------------------------------------------------- */

static uint32_t class_of(cw_lock_classes *lc, uint64_t key)
{
    kv *e = kv_find(lc->class_index, lc->ci_cap, key, 0);
    if (e)
        return (uint32_t)e->v;
    if (lc->ncls >= NIL - 1 || !grow((void **)&lc->cls, &lc->cls_cap, lc->ncls + 1, sizeof *lc->cls))
        return NIL;
    e = kv_insert(&lc->class_index, &lc->ci_cap, &lc->ci_len, key, 0, lc->ncls);
    if (!e)
        return NIL;
    lc->cls[lc->ncls] = (cclass){ .key = key, .out_head = NIL, .self = NIL };
    return (uint32_t)lc->ncls++;
}

static bool gate_listed(const cw_class_nesting *n, uint64_t g)
{
    uint32_t k = n->ngates < CW_CLASS_MAX_GATES ? n->ngates : CW_CLASS_MAX_GATES;
    for (uint32_t j = 0; j < k; j++)
        if (n->gates[j] == g)
            return true;
    return false;
}

static uint8_t initial_gates(const cw_class_nesting *n)
{
    uint8_t mask = 0;
    uint32_t k = n->ngates < CW_CLASS_MAX_GATES ? n->ngates : CW_CLASS_MAX_GATES;
    for (uint32_t i = 0; i < k; i++) {
        uint64_t g = n->gates[i];
        bool repeat = false;
        for (uint32_t j = 0; j < i && !repeat; j++)
            repeat = n->gates[j] == g;
        if (g && g != n->outer && g != n->inner && !repeat)
            mask |= (uint8_t)(1u << i);
    }
    return mask;
}

/* The keys that can order nestings of this edge: fields only within a class. */
static uint64_t comparable(const cedge *e, uint64_t keys)
{
    return e->from == e->to ? keys : keys & CW_CLASS_KEYS_ANY_CLASS;
}

/* Folds a nesting into its edge; returns whether the evidence weakened
 * (or the edge is new: *created). */
static uint32_t edge_add(cw_lock_classes *lc, uint32_t from, uint32_t to, const cw_class_nesting *n, bool *changed)
{
    kv *idx = kv_find(lc->edge_index, lc->ei_cap, (uint64_t)from + 1, to);
    if (idx) {
        cedge *e = &lc->edges[idx->v];
        uint8_t mask = e->gate_mask;
        for (uint32_t i = 0; i < CW_CLASS_MAX_GATES; i++)
            if ((mask >> i & 1) && !gate_listed(n, e->first.gates[i]))
                mask &= (uint8_t)~(1u << i);
        bool outer_read = e->outer_read && n->outer_read, inner_read = e->inner_read && n->inner_read;
        uint64_t less = e->less & n->keys_less, greater = e->greater & n->keys_greater;
        *changed = mask != e->gate_mask || outer_read != e->outer_read || inner_read != e->inner_read ||
                   less != e->less || greater != e->greater;
        if (*changed) {
            e->gate_mask = mask;
            e->outer_read = outer_read;
            e->inner_read = inner_read;
            e->less = less;
            e->greater = greater;
            e->other = *n;
        }
        return (uint32_t)idx->v;
    }
    if (lc->nedges >= NIL - 1 || !grow((void **)&lc->edges, &lc->edges_cap, lc->nedges + 1, sizeof *lc->edges))
        return NIL;
    if (!kv_insert(&lc->edge_index, &lc->ei_cap, &lc->ei_len, (uint64_t)from + 1, to, lc->nedges))
        return NIL;
    uint32_t ei = (uint32_t)lc->nedges++;
    cedge *e = &lc->edges[ei];
    *e = (cedge){ .from = from, .to = to, .first = *n, .other = *n, .gate_mask = initial_gates(n),
                  .outer_read = n->outer_read, .inner_read = n->inner_read,
                  .less = n->keys_less, .greater = n->keys_greater, .next_out = NIL };
    e->less = comparable(e, e->less);
    e->greater = comparable(e, e->greater);
    if (from == to) {
        lc->cls[from].self = ei;
    } else {
        e->next_out = lc->cls[from].out_head;
        lc->cls[from].out_head = ei;
    }
    *changed = true;
    return ei;
}

/* ---- reporting once per class set --------------------------------------- */

static bool first_time(cw_lock_classes *lc, uint32_t *members, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && members[j - 1] > members[j]; j--) {
            uint32_t x = members[j];
            members[j] = members[j - 1];
            members[j - 1] = x;
        }
    uint64_t h = mix(n + 0x9e37);
    for (size_t i = 0; i < n; i++)
        h = mix(h ^ members[i]);
    h = h ? h : 1;
    if ((lc->rep_len + 1) * 2 > lc->rep_cap) {
        size_t cap2 = lc->rep_cap ? lc->rep_cap * 2 : 32;
        uint64_t *t2 = calloc(cap2, sizeof *t2);
        if (!t2)
            return false;
        for (size_t i = 0; i < lc->rep_cap; i++)
            if (lc->reported[i]) {
                size_t j = (size_t)mix(lc->reported[i]) & (cap2 - 1);
                while (t2[j])
                    j = (j + 1) & (cap2 - 1);
                t2[j] = lc->reported[i];
            }
        free(lc->reported);
        lc->reported = t2;
        lc->rep_cap = cap2;
    }
    size_t j = (size_t)mix(h) & (lc->rep_cap - 1);
    while (lc->reported[j] && lc->reported[j] != h)
        j = (j + 1) & (lc->rep_cap - 1);
    if (lc->reported[j])
        return false;
    lc->reported[j] = h;
    lc->rep_len++;
    return true;
}

/* ---- a class nested in itself ------------------------------------------- */

/* A key set in every nesting's `less` and not in all their `greater`s (a
 * key unreadable in some nesting is in both): it orders them all. */
static bool ordered_by_key(uint64_t less, uint64_t greater)
{
    return (less & ~greater) || (greater & ~less);
}

static bool self_explained(const cw_lock_classes *lc, const cedge *e)
{
    return e->gate_mask || (e->outer_read && e->inner_read) || ordered_by_key(e->less, e->greater) ||
           !lc->cls[e->from].hierarchy_broken;
}

/* Records inner's outer instance; returns whether the hierarchy just broke. */
static bool note_outer(cw_lock_classes *lc, uint32_t c, const cw_class_nesting *n)
{
    if (lc->cls[c].hierarchy_broken)
        return false;
    kv *e = kv_insert(&lc->outer_of, &lc->oo_cap, &lc->oo_len, (uint64_t)c + 1, n->inner, n->outer);
    if (!e || e->v == n->outer)
        return false;
    e->v = MANY;
    lc->cls[c].hierarchy_broken = true;
    return true;
}

/* ---- cycles among classes ----------------------------------------------- */

static bool edge_has_gate(const cedge *e, uint64_t g)
{
    for (uint32_t j = 0; j < CW_CLASS_MAX_GATES; j++)
        if ((e->gate_mask >> j & 1) && e->first.gates[j] == g)
            return true;
    return false;
}

/* The bits of `mask` (over start's gates) that f also has. */
static uint8_t narrow(const cedge *start, uint8_t mask, const cedge *f)
{
    for (uint32_t i = 0; mask >> i; i++)
        if ((mask >> i & 1) && !edge_has_gate(f, start->first.gates[i]))
            mask &= (uint8_t)~(1u << i);
    return mask;
}

typedef struct frame {
    uint32_t cls, next;         /* class; next out-edge to try */
    uint8_t gates;              /* start's gates held on every edge so far */
    uint64_t less, greater;     /* keys ordering every edge so far */
    bool read;                  /* the class entered in read mode */
} frame;

/* A simple class cycle through edge `start` (X -> Y): a path Y ~> X on
 * which no gate is common to all edges, no class is read/read, and no key
 * orders every edge, over a class set never predicted.  Depth-first,
 * bounded. */
static bool find_cycle(cw_lock_classes *lc, uint32_t start, cw_class_cycle *out)
{
    const cedge *se = &lc->edges[start];
    uint32_t x = se->from, y = se->to;
    frame fr[CW_MAX_CLASS_CYCLE];
    uint32_t path[CW_MAX_CLASS_CYCLE];
    size_t depth = 1, steps = 0;
    bool found = false;
    fr[0] = (frame){ y, lc->cls[y].out_head, se->gate_mask, se->less, se->greater, se->inner_read };
    lc->cls[x].on_path = lc->cls[y].on_path = true;
    while (depth > 0 && !found && steps++ < DFS_MAX_STEPS) {
        frame *c = &fr[depth - 1];
        uint32_t fi = c->next;
        if (fi == NIL) {
            lc->cls[c->cls].on_path = false;
            depth--;
            continue;
        }
        const cedge *f = &lc->edges[fi];
        c->next = f->next_out;
        if (c->read && f->outer_read)
            continue;
        uint8_t gates = narrow(se, c->gates, f);
        uint64_t less = c->less & f->less, greater = c->greater & f->greater;
        path[depth - 1] = fi;
        if (f->to == x) {
            if (gates || ordered_by_key(less, greater) || (f->inner_read && se->outer_read))
                continue;
            uint32_t members[CW_MAX_CLASS_CYCLE];
            members[0] = x;
            for (size_t i = 0; i < depth; i++)
                members[i + 1] = lc->edges[path[i]].from;
            if (!first_time(lc, members, depth + 1))
                continue;
            out->n = depth + 1;
            out->edges[0] = se->first;
            for (size_t i = 0; i < depth; i++)
                out->edges[i + 1] = lc->edges[path[i]].first;
            out->other = se->other;
            found = true;
        } else if (!lc->cls[f->to].on_path && depth + 1 < CW_MAX_CLASS_CYCLE) {
            fr[depth++] = (frame){ f->to, lc->cls[f->to].out_head, gates, less, greater, f->inner_read };
            lc->cls[f->to].on_path = true;
        }
    }
    for (size_t i = 0; i < depth; i++)
        lc->cls[fr[i].cls].on_path = false;
    lc->cls[x].on_path = false;
    return found;
}

/* ---- public API --------------------------------------------------------- */

cw_lock_classes *cw_lock_classes_new(void)
{
    return calloc(1, sizeof(cw_lock_classes));
}

void cw_lock_classes_free(cw_lock_classes *lc)
{
    if (!lc)
        return;
    free(lc->cls);
    free(lc->edges);
    free(lc->class_index);
    free(lc->edge_index);
    free(lc->outer_of);
    free(lc->reported);
    free(lc);
}

bool cw_lock_classes_add(cw_lock_classes *lc, const cw_class_nesting *n, cw_class_cycle *out)
{
    if (!lc || !n || !n->outer_class || !n->inner_class || !n->outer || !n->inner || n->outer == n->inner)
        return false;
    uint32_t from = class_of(lc, n->outer_class), to = class_of(lc, n->inner_class);
    if (from == NIL || to == NIL)
        return false;
    bool changed;
    uint32_t ei = edge_add(lc, from, to, n, &changed);
    if (ei == NIL)
        return false;
    cedge *e = &lc->edges[ei];
    if (from == to) {
        if (note_outer(lc, from, n)) {
            e->other = *n;
            changed = true;
        }
        if (!changed || self_explained(lc, e))
            return false;
        uint32_t members[1] = { from };
        if (!first_time(lc, members, 1))
            return false;
        out->n = 1;
        out->edges[0] = e->first;
        out->other = e->other;
        return true;
    }
    return changed && find_cycle(lc, ei, out);
}

void cw_lock_classes_forget(cw_lock_classes *lc, uint64_t instance_class, uint64_t instance)
{
    if (!lc || !instance_class)
        return;
    kv *c = kv_find(lc->class_index, lc->ci_cap, instance_class, 0);
    if (c)
        kv_erase(lc->outer_of, lc->oo_cap, &lc->oo_len, c->v + 1, instance);
}

size_t cw_lock_classes_class_count(const cw_lock_classes *lc)
{
    return lc ? lc->ncls : 0;
}

size_t cw_lock_classes_edge_count(const cw_lock_classes *lc)
{
    return lc ? lc->nedges : 0;
}

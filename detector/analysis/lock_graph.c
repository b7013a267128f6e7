/*
 * Pearce-Kelly dynamic topological order (D. J. Pearce, P. H. J. Kelly, "A
 * dynamic topological sort algorithm for directed acyclic graphs", JEA 11,
 * 2006), the algorithm of Abseil's GraphCycles:
 *   - every slot has a rank; the ranks are a permutation of [0, nslots) and
 *     every edge x->y has rank[x] < rank[y];
 *   - inserting x->y with rank[x] < rank[y] changes nothing else;
 *   - otherwise only nodes with ranks in [rank[y], rank[x]] can be affected:
 *     a forward search from y (bounded above by rank[x]) either reaches x (a
 *     cycle: refuse) or collects F; a backward search from x (bounded below
 *     by rank[y]) collects B; the ranks of B and F are then redistributed so
 *     that all of B comes before all of F, each keeping its internal order.
 * A removed slot keeps its rank, so the permutation property survives reuse.
 */
#include "lock_graph.h"

#include "grow.h"

#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX
#define LEAVE (NIL - 1)   /* find_path's stack marker */

/* ---- Index sets: up to INLINE members stored in the set itself (most
 * locks have one or two neighbours: no heap memory, no malloc per edge),
 * beyond that open addressing, linear probing, backward-shift delete. */

#define INLINE 2

typedef struct idxset {
    union {
        uint32_t *slot;         /* cap != 0: the table, NIL = empty */
        uint32_t inl[INLINE];   /* cap == 0: members inl[0 .. len) */
    };
    uint32_t cap;               /* 0 (inline) or a power of two */
    uint32_t len;
} idxset;

static uint32_t idx_home(uint32_t v, uint32_t cap)
{
    uint32_t h = v * 0x9E3779B1u;
    return (h ^ (h >> 15)) & (cap - 1);
}

/* Slot holding v, or the empty slot where it would go. cap must be > 0. */
static uint32_t idxset_probe(const idxset *s, uint32_t v)
{
    uint32_t i = idx_home(v, s->cap);
    while (s->slot[i] != NIL && s->slot[i] != v)
        i = (i + 1) & (s->cap - 1);
    return i;
}

static bool idxset_contains(const idxset *s, uint32_t v)
{
    if (s->cap == 0) {
        for (uint32_t i = 0; i < s->len; i++)
            if (s->inl[i] == v)
                return true;
        return false;
    }
    return s->slot[idxset_probe(s, v)] == v;
}

/* Number of positions to visit, and the member at one (NIL: none). */
static inline uint32_t idxset_span(const idxset *s) { return s->cap ? s->cap : s->len; }
static inline uint32_t idxset_at(const idxset *s, uint32_t i) { return s->cap ? s->slot[i] : s->inl[i]; }

/* To a table of cap slots (cap > 0), or back inline (cap == 0, len <= INLINE). */
static bool idxset_rehash(idxset *s, uint32_t cap)
{
    uint32_t keep[INLINE];
    idxset old = *s;
    if (cap == 0) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < old.cap; i++)
            if (old.slot[i] != NIL)
                keep[n++] = old.slot[i];
        free(old.slot);
        s->cap = 0;
        for (uint32_t i = 0; i < n; i++)
            s->inl[i] = keep[i];
        return true;
    }
    uint32_t *slot = malloc((size_t)cap * sizeof *slot);
    if (slot == NULL)
        return false;
    memset(slot, 0xff, (size_t)cap * sizeof *slot);
    s->slot = slot;
    s->cap = cap;
    for (uint32_t i = 0; i < idxset_span(&old); i++) {
        uint32_t v = idxset_at(&old, i);
        if (v != NIL)
            s->slot[idxset_probe(s, v)] = v;
    }
    if (old.cap)
        free(old.slot);
    return true;
}

/* Returns false only when out of memory (v already present is success). */
static bool idxset_insert(idxset *s, uint32_t v)
{
    if (idxset_contains(s, v))
        return true;
    if (s->cap == 0 && s->len < INLINE) {
        s->inl[s->len++] = v;
        return true;
    }
    if ((s->len + 1) * 4 > s->cap * 3 && !idxset_rehash(s, s->cap ? s->cap * 2 : 4))
        return false;
    s->slot[idxset_probe(s, v)] = v;
    s->len++;
    return true;
}

static void idxset_clear(idxset *s)
{
    if (s->cap)
        free(s->slot);
    s->slot = NULL;
    s->cap = s->len = 0;
}

static void idxset_erase(idxset *s, uint32_t v)
{
    if (s->cap == 0) {
        for (uint32_t i = 0; i < s->len; i++)
            if (s->inl[i] == v) {
                s->inl[i] = s->inl[--s->len];
                return;
            }
        return;
    }
    uint32_t mask = s->cap - 1, hole = idxset_probe(s, v);
    if (s->slot[hole] != v)
        return;
    /* Pull later members of the probe run back into the hole unless that
       would move them before their home slot. */
    for (uint32_t j = (hole + 1) & mask; s->slot[j] != NIL; j = (j + 1) & mask) {
        uint32_t home = idx_home(s->slot[j], s->cap);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            s->slot[hole] = s->slot[j];
            hole = j;
        }
    }
    s->slot[hole] = NIL;
    s->len--;
    if (s->len <= INLINE / 2)
        (void)idxset_rehash(s, 0);            /* never fails */
    else if (s->cap > 16 && s->len * 8 < s->cap)
        (void)idxset_rehash(s, s->cap / 4);   /* failure: keep the big table */
}

#define IDXSET_FOR_EACH(v, s)                                                             \
    for (uint32_t v##_i = 0, v##_n = idxset_span(s), v = 0; v##_i < v##_n; v##_i++)      \
        if ((v = idxset_at((s), v##_i)) != NIL)

/* ---- Growable scratch arrays kept between calls. */

typedef struct ranked {
    uint32_t rank;
    uint32_t idx;
} ranked;

typedef struct rvec {
    ranked *v;
    size_t len, cap;
} rvec;

typedef struct uvec {
    uint32_t *v;
    size_t len, cap;
} uvec;


static bool rvec_push(rvec *a, ranked r)
{
    if (!grow((void **)&a->v, &a->cap, a->len + 1, sizeof *a->v))
        return false;
    a->v[a->len++] = r;
    return true;
}

static bool uvec_push(uvec *a, uint32_t x)
{
    if (!grow((void **)&a->v, &a->cap, a->len + 1, sizeof *a->v))
        return false;
    a->v[a->len++] = x;
    return true;
}

/* ---- The graph. */

typedef struct gnode {
    uint32_t rank;
    uint32_t version;       /* of the current (or next, when free) occupant */
    bool alive;
    bool visited;           /* only between the two searches of one insert */
    idxset out, in;
} gnode;

struct cw_lock_graph {
    gnode *node;
    size_t nslots, cap;
    uvec free_slots;        /* removed slots, reusable */
    size_t nalive, nedges;
    /* Scratch of insert_edge. */
    rvec fwd, back;         /* F and B of the header comment */
    uvec stack;
    uint32_t *ranks;        /* merged ranks of B and F */
    size_t ranks_cap;
};

static cw_node make_id(uint32_t idx, uint32_t version)
{
    return ((uint64_t)version << 32) | idx;
}

static gnode *find_node(const cw_lock_graph *g, cw_node id)
{
    uint32_t idx = cw_lock_graph_node_index(id);
    if (g == NULL || idx >= g->nslots)
        return NULL;
    gnode *n = &g->node[idx];
    return n->alive && n->version == (uint32_t)(id >> 32) ? n : NULL;
}

cw_lock_graph *cw_lock_graph_new(void)
{
    return calloc(1, sizeof(cw_lock_graph));
}

void cw_lock_graph_free(cw_lock_graph *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; i < g->nslots; i++) {
        idxset_clear(&g->node[i].out);
        idxset_clear(&g->node[i].in);
    }
    free(g->node);
    free(g->free_slots.v);
    free(g->fwd.v);
    free(g->back.v);
    free(g->stack.v);
    free(g->ranks);
    free(g);
}

cw_node cw_lock_graph_node_new(cw_lock_graph *g)
{
    if (g == NULL)
        return CW_NO_NODE;
    if (g->free_slots.len > 0) {
        /* The slot keeps its rank: ranks stay a permutation of the slots. */
        uint32_t idx = g->free_slots.v[--g->free_slots.len];
        g->node[idx].alive = true;
        g->nalive++;
        return make_id(idx, g->node[idx].version);
    }
    if (g->nslots >= NIL - 1)       /* NIL and LEAVE are markers */
        return CW_NO_NODE;
    if (!grow((void **)&g->node, &g->cap, g->nslots + 1, sizeof *g->node))
        return CW_NO_NODE;
    /* Reserve the free-list room now so that node_remove can never fail. */
    if (!grow((void **)&g->free_slots.v, &g->free_slots.cap, g->nslots + 1,
              sizeof *g->free_slots.v))
        return CW_NO_NODE;
    uint32_t idx = (uint32_t)g->nslots++;
    g->node[idx] = (gnode){ .rank = idx, .version = 1, .alive = true };
    g->nalive++;
    return make_id(idx, 1);
}

void cw_lock_graph_node_remove(cw_lock_graph *g, cw_node id)
{
    gnode *n = find_node(g, id);
    if (n == NULL)
        return;
    uint32_t idx = cw_lock_graph_node_index(id);
    IDXSET_FOR_EACH(w, &n->out)
        idxset_erase(&g->node[w].in, idx);
    IDXSET_FOR_EACH(w, &n->in)
        idxset_erase(&g->node[w].out, idx);
    g->nedges -= n->out.len + n->in.len;
    idxset_clear(&n->out);
    idxset_clear(&n->in);
    /* Removing edges never breaks the rank order: no re-ranking needed. */
    n->alive = false;
    g->nalive--;
    if (n->version == UINT32_MAX)
        return;             /* retired: its handles must never come back */
    n->version++;
    g->free_slots.v[g->free_slots.len++] = idx;
}

bool cw_lock_graph_node_alive(const cw_lock_graph *g, cw_node n)
{
    return find_node(g, n) != NULL;
}

size_t cw_lock_graph_node_count(const cw_lock_graph *g)
{
    return g ? g->nalive : 0;
}

size_t cw_lock_graph_edge_count(const cw_lock_graph *g)
{
    return g ? g->nedges : 0;
}

bool cw_lock_graph_has_edge(const cw_lock_graph *g, cw_node from, cw_node to)
{
    gnode *x = find_node(g, from);
    return x != NULL && find_node(g, to) != NULL &&
           idxset_contains(&x->out, cw_lock_graph_node_index(to));
}

/* ---- Insertion. */

static void clear_visited(cw_lock_graph *g, const rvec *a)
{
    for (size_t i = 0; i < a->len; i++)
        g->node[a->v[i].idx].visited = false;
}

/* Marks and collects into F the nodes reachable from y with rank < bound.
   Returns 1 when done, 0 when x (rank == bound) is reached, -1 out of memory. */
static int forward_search(cw_lock_graph *g, uint32_t y, uint32_t bound)
{
    g->fwd.len = g->stack.len = 0;
    if (!uvec_push(&g->stack, y))
        return -1;
    while (g->stack.len > 0) {
        uint32_t n = g->stack.v[--g->stack.len];
        gnode *nn = &g->node[n];
        if (nn->visited)
            continue;
        if (!rvec_push(&g->fwd, (ranked){ nn->rank, n }))
            return -1;
        nn->visited = true;
        IDXSET_FOR_EACH(w, &nn->out) {
            gnode *nw = &g->node[w];
            if (nw->rank == bound)
                return 0;
            if (!nw->visited && nw->rank < bound && !uvec_push(&g->stack, w))
                return -1;
        }
    }
    return 1;
}

/* Marks and collects into B the nodes reaching x with rank > bound.
   Returns false when out of memory. */
static bool backward_search(cw_lock_graph *g, uint32_t x, uint32_t bound)
{
    g->back.len = g->stack.len = 0;
    if (!uvec_push(&g->stack, x))
        return false;
    while (g->stack.len > 0) {
        uint32_t n = g->stack.v[--g->stack.len];
        gnode *nn = &g->node[n];
        if (nn->visited)
            continue;
        if (!rvec_push(&g->back, (ranked){ nn->rank, n }))
            return false;
        nn->visited = true;
        IDXSET_FOR_EACH(w, &nn->in) {
            gnode *nw = &g->node[w];
            if (!nw->visited && nw->rank > bound && !uvec_push(&g->stack, w))
                return false;
        }
    }
    return true;
}

/* Heap sort by rank, written here rather than libc's qsort: in a program
   built with ThreadSanitizer, qsort is TSan's interceptor, which sees the
   graph's scratch arrays written by two threads and not the shim's own lock
   that orders them (a false race in the program's report). */
static void sift_down(ranked *v, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && v[child + 1].rank > v[child].rank)
            child++;
        if (v[root].rank >= v[child].rank)
            return;
        ranked t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

static void sort_by_rank(ranked *v, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (size_t end = n; end > 1; end--) {
        ranked t = v[0];
        v[0] = v[end - 1];
        v[end - 1] = t;
        sift_down(v, 0, end - 1);
    }
}

/* Gives B then F (each in its current order) the union of their ranks, in
   increasing order.  Returns false (nothing changed) when out of memory. */
static bool reorder(cw_lock_graph *g)
{
    size_t nb = g->back.len, nf = g->fwd.len;
    if (!grow((void **)&g->ranks, &g->ranks_cap, nb + nf, sizeof *g->ranks))
        return false;
    sort_by_rank(g->back.v, nb);
    sort_by_rank(g->fwd.v, nf);
    size_t i = 0, j = 0, k = 0;
    while (i < nb || j < nf) {
        if (j == nf || (i < nb && g->back.v[i].rank < g->fwd.v[j].rank))
            g->ranks[k++] = g->back.v[i++].rank;
        else
            g->ranks[k++] = g->fwd.v[j++].rank;
    }
    for (i = 0; i < nb; i++)
        g->node[g->back.v[i].idx].rank = g->ranks[i];
    for (j = 0; j < nf; j++)
        g->node[g->fwd.v[j].idx].rank = g->ranks[nb + j];
    return true;
}

/* Restores the ranks-consistent state after a refused or failed insertion. */
static bool undo_insert(cw_lock_graph *g, uint32_t x, uint32_t y)
{
    clear_visited(g, &g->fwd);
    clear_visited(g, &g->back);
    idxset_erase(&g->node[x].out, y);
    idxset_erase(&g->node[y].in, x);
    return false;
}

bool cw_lock_graph_insert_edge(cw_lock_graph *g, cw_node from, cw_node to)
{
    gnode *nx = find_node(g, from), *ny = find_node(g, to);
    if (nx == NULL || ny == NULL)
        return true;
    if (nx == ny)
        return false;
    uint32_t x = cw_lock_graph_node_index(from), y = cw_lock_graph_node_index(to);
    if (idxset_contains(&nx->out, y))
        return true;
    if (!idxset_insert(&nx->out, y))
        return false;
    if (!idxset_insert(&ny->in, x)) {
        idxset_erase(&nx->out, y);
        return false;
    }
    if (nx->rank < ny->rank) {
        g->nedges++;
        return true;
    }
    g->fwd.len = g->back.len = 0;
    if (forward_search(g, y, nx->rank) != 1)
        return undo_insert(g, x, y);
    if (!backward_search(g, x, ny->rank) || !reorder(g))
        return undo_insert(g, x, y);
    clear_visited(g, &g->fwd);
    clear_visited(g, &g->back);
    g->nedges++;
    return true;
}

/* ---- Path finding: depth-first with an explicit stack; a LEAVE marker
 * below a node's children pops it from the current path. */


size_t cw_lock_graph_find_path(const cw_lock_graph *g, cw_node from, cw_node to,
                               size_t max, cw_node *path)
{
    if (find_node(g, from) == NULL || find_node(g, to) == NULL)
        return 0;
    uint8_t *seen = calloc(g->nslots, 1);
    uvec stack = { 0 };
    size_t len = 0, found = 0;
    uint32_t x = cw_lock_graph_node_index(from), y = cw_lock_graph_node_index(to);
    if (seen == NULL || !uvec_push(&stack, x))
        goto out;
    seen[x] = 1;
    while (stack.len > 0) {
        uint32_t n = stack.v[--stack.len];
        if (n == LEAVE) {
            len--;
            continue;
        }
        if (len < max)
            path[len] = make_id(n, g->node[n].version);
        len++;
        if (n == y) {
            found = len;
            break;
        }
        if (!uvec_push(&stack, LEAVE))
            break;
        IDXSET_FOR_EACH(w, &g->node[n].out) {
            if (seen[w])
                continue;
            seen[w] = 1;
            if (!uvec_push(&stack, w))
                goto out;
        }
    }
out:
    free(seen);
    free(stack.v);
    return found;
}

/* ---- Invariants (tests only). */

static bool check_slot(const cw_lock_graph *g, uint32_t i, uint8_t *rank_seen,
                       size_t *nedges)
{
    const gnode *n = &g->node[i];
    if (n->rank >= g->nslots || rank_seen[n->rank]++ || n->visited)
        return false;
    if (!n->alive && (n->out.len != 0 || n->in.len != 0))
        return false;
    IDXSET_FOR_EACH(w, &n->out) {
        if (w >= g->nslots || !g->node[w].alive || g->node[w].rank <= n->rank ||
            !idxset_contains(&g->node[w].in, i))
            return false;
    }
    IDXSET_FOR_EACH(w, &n->in) {
        if (w >= g->nslots || !idxset_contains(&g->node[w].out, i))
            return false;
    }
    *nedges += n->out.len;
    return true;
}

bool cw_lock_graph_check_invariants(const cw_lock_graph *g)
{
    if (g == NULL)
        return false;
    uint8_t *rank_seen = calloc(g->nslots + 1, 1);
    if (rank_seen == NULL)
        return false;
    size_t nedges = 0, nalive = 0;
    bool ok = true;
    for (uint32_t i = 0; ok && i < g->nslots; i++) {
        ok = check_slot(g, i, rank_seen, &nedges);
        nalive += g->node[i].alive;
    }
    for (size_t k = 0; ok && k < g->free_slots.len; k++)
        ok = !g->node[g->free_slots.v[k]].alive;
    free(rank_seen);
    return ok && nedges == g->nedges && nalive == g->nalive;
}

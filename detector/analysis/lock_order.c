/*
 * Lock-order edges with attributes on top of the cw_lock_graph DAG.
 *
 * Every edge is a 48-byte record in a pool (indices, reused after removal),
 * found by (from, to) through an open-addressing table and threaded on its two
 * nodes' out/in lists, so that the cycle search sees ALL edges, and node
 * removal finds them in O(degree).  An edge names its ends by node slot: its
 * ends are always live (edges die with their nodes), so the slot identifies
 * the node.  The gates of an edge's first occurrence, the only variable-size
 * part, live in a separate pool of blocks, and only for the edges that have
 * any (a lock held besides the two ends).  Edges the DAG refused (they closed
 * a cycle, or memory ran out) are also in a "refused" set: while it is empty
 * no new edge the DAG accepts can be on a cycle, which is what keeps the
 * common case free of any search.
 */
#include "lock_order.h"

#include "grow.h"

#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

/* Budgets of the slow path (see the cost model in lock_order.h): 2^19 BFS
   states cost about 16 MB of scratch, freed again after a large search.
   Overridable so that a test can force the depth-first fallback. */
#ifndef CW_BFS_MAX_STATES
#define CW_BFS_MAX_STATES (1u << 19)
#endif
#define DFS_MAX_STEPS (1u << 20)
#define SCRATCH_KEEP (1u << 14)

typedef struct edge {
    uint32_t from, to;          /* node slots */
    uint32_t from_stack, to_stack, thread;   /* of the first occurrence */
    uint32_t gates;             /* block in lo->gate of the first occurrence's
                                   distinct gates (not 0, not an end), NIL: none */
    uint32_t out_next, out_prev, in_next, in_prev;
    uint32_t refused;           /* position in lo->refused, NIL: in the DAG */
    uint8_t ngates;             /* gates in the block */
    uint8_t gate_mask;          /* bits of the block still common to all
                                   occurrences: the intersection is always a
                                   subset of the first occurrence's gates */
    uint8_t flags;              /* E_* */
} edge;

_Static_assert(sizeof(edge) == 48, "edge records stay compact");

#define E_FIRST_FROM_READ 1u    /* as the first occurrence had them */
#define E_FIRST_TO_READ 2u
#define E_FROM_READ 4u          /* AND over occurrences */
#define E_TO_READ 8u

typedef struct gate_block {
    cw_node g[CW_MAX_GATES];    /* a free block chains through g[0] */
} gate_block;

typedef struct onode {
    cw_node id;                 /* CW_NO_NODE when the slot holds no lock */
    uint32_t out_head, in_head;
    bool on_path;               /* search scratch, false between calls */
} onode;

typedef struct eslot {
    uint32_t edge;              /* NIL: empty */
    uint32_t hash;
} eslot;

typedef struct bfs_state {
    uint32_t node;              /* node index */
    uint32_t parent;            /* state index, NIL for the start */
    uint32_t via;               /* edge entering node */
    uint8_t mask;               /* gates of the searched edge still common */
    bool read;                  /* node acquired in read mode by `via` */
    uint8_t depth;              /* edges from the start of the cycle */
} bfs_state;

struct cw_lock_order {
    cw_lock_graph *dag;
    onode *node;
    size_t node_cap;
    edge *edge;
    size_t edge_slots, edge_cap, nedges;
    uint32_t free_edge;
    gate_block *gate;
    size_t gate_slots, gate_cap;
    uint32_t free_gate;
    eslot *table;
    size_t table_cap, table_len;
    uint32_t *refused;          /* edges out of the DAG */
    size_t nrefused, refused_cap;
    bool refusal_unlisted;      /* an edge out of the DAG could not be listed */
    size_t dag_lost;            /* DAG edges lost through intermediate nodes
                                   since the last promotion attempt */
    uint64_t *reported;         /* hashes of reported node sets, 0 = empty */
    size_t reported_cap, reported_len;
    bfs_state *st;
    size_t st_cap;
    uint64_t *seen;             /* BFS state keys, 0 = empty */
    size_t seen_cap;
};

/* ---- Small helpers. */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}


static onode *live_node(const cw_lock_order *lo, cw_node id)
{
    uint32_t idx = cw_lock_graph_node_index(id);
    if (id == CW_NO_NODE || idx >= lo->node_cap || lo->node[idx].id != id)
        return NULL;
    return &lo->node[idx];
}

/* The live node in slot i (an edge's end). */
static cw_node id_of(const cw_lock_order *lo, uint32_t i)
{
    return lo->node[i].id;
}

/* ---- Sets of nonzero 64-bit keys (reported cycles, BFS states). */

static size_t key_probe(const uint64_t *t, size_t cap, uint64_t k)
{
    size_t i = (size_t)mix64(k) & (cap - 1);
    while (t[i] != 0 && t[i] != k)
        i = (i + 1) & (cap - 1);
    return i;
}

static bool keyset_contains(const uint64_t *t, size_t cap, uint64_t k)
{
    return cap != 0 && t[key_probe(t, cap, k)] == k;
}

/* Returns 1 when inserted, 0 when present, -1 out of memory. */
static int keyset_insert(uint64_t **t, size_t *cap, size_t *len, uint64_t k)
{
    if (*cap != 0 && (*t)[key_probe(*t, *cap, k)] == k)
        return 0;
    if ((*len + 1) * 2 > *cap) {
        size_t cap2 = *cap ? *cap * 2 : 64;
        uint64_t *t2 = calloc(cap2, sizeof *t2);
        if (t2 == NULL)
            return -1;
        for (size_t i = 0; i < *cap; i++)
            if ((*t)[i] != 0)
                t2[key_probe(t2, cap2, (*t)[i])] = (*t)[i];
        free(*t);
        *t = t2;
        *cap = cap2;
    }
    (*t)[key_probe(*t, *cap, k)] = k;
    (*len)++;
    return 1;
}

/* ---- Edge table: (from slot, to slot) -> edge index. */

static uint32_t edge_hash(uint32_t from, uint32_t to)
{
    return (uint32_t)mix64((uint64_t)from << 32 | to);
}

static size_t table_probe(const cw_lock_order *lo, uint32_t from, uint32_t to, uint32_t h)
{
    size_t mask = lo->table_cap - 1, i = h & mask;
    for (; lo->table[i].edge != NIL; i = (i + 1) & mask) {
        const edge *e = &lo->edge[lo->table[i].edge];
        if (lo->table[i].hash == h && e->from == from && e->to == to)
            break;
    }
    return i;
}

static uint32_t table_find(const cw_lock_order *lo, uint32_t from, uint32_t to, uint32_t h)
{
    return lo->table_cap ? lo->table[table_probe(lo, from, to, h)].edge : NIL;
}

/* Makes room for one more entry; false when out of memory. */
static bool table_reserve(cw_lock_order *lo)
{
    if ((lo->table_len + 1) * 3 <= lo->table_cap * 2)
        return true;
    size_t cap2 = lo->table_cap ? lo->table_cap * 2 : 64;
    eslot *t2 = malloc(cap2 * sizeof *t2);
    if (t2 == NULL)
        return false;
    for (size_t i = 0; i < cap2; i++)
        t2[i].edge = NIL;
    for (size_t i = 0; i < lo->table_cap; i++) {
        eslot s = lo->table[i];
        if (s.edge == NIL)
            continue;
        size_t j = s.hash & (cap2 - 1);
        while (t2[j].edge != NIL)
            j = (j + 1) & (cap2 - 1);
        t2[j] = s;
    }
    free(lo->table);
    lo->table = t2;
    lo->table_cap = cap2;
    return true;
}

static void table_erase(cw_lock_order *lo, uint32_t ei)
{
    const edge *e = &lo->edge[ei];
    size_t mask = lo->table_cap - 1, hole = table_probe(lo, e->from, e->to, edge_hash(e->from, e->to));
    /* Backward-shift deletion: no tombstones, so churn doesn't slow lookups. */
    for (size_t j = (hole + 1) & mask; lo->table[j].edge != NIL; j = (j + 1) & mask) {
        size_t home = lo->table[j].hash & mask;
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            lo->table[hole] = lo->table[j];
            hole = j;
        }
    }
    lo->table[hole].edge = NIL;
    lo->table_len--;
}

/* ---- Gates and read flags. */

static const cw_node *gates_of(const cw_lock_order *lo, const edge *e)
{
    return e->gates == NIL ? NULL : lo->gate[e->gates].g;
}

static bool gate_listed(const cw_edge_attrs *a, cw_node g)
{
    uint32_t n = a->ngates < CW_MAX_GATES ? a->ngates : CW_MAX_GATES;
    for (uint32_t j = 0; j < n; j++)
        if (a->gates[j] == g)
            return true;
    return false;
}

/* The meaningful gates of a first occurrence: not 0, not an end, no repeat.
   Returns how many were written to out. */
static uint32_t distinct_gates(const cw_edge_attrs *a, cw_node from, cw_node to, cw_node *out)
{
    uint32_t n = a->ngates < CW_MAX_GATES ? a->ngates : CW_MAX_GATES, k = 0;
    for (uint32_t i = 0; i < n; i++) {
        cw_node g = a->gates[i];
        bool repeat = false;
        for (uint32_t j = 0; j < k && !repeat; j++)
            repeat = out[j] == g;
        if (g != CW_NO_NODE && g != from && g != to && !repeat)
            out[k++] = g;
    }
    return k;
}

/* Folds one more occurrence in; returns whether anything changed. */
static bool merge_occurrence(const cw_lock_order *lo, edge *e, const cw_edge_attrs *a)
{
    uint8_t mask = e->gate_mask;
    const cw_node *g = gates_of(lo, e);
    for (uint32_t i = 0; i < e->ngates; i++)
        if ((mask >> i & 1) && !gate_listed(a, g[i]))
            mask &= (uint8_t)~(1u << i);
    uint8_t flags = e->flags;
    if (!a->from_read)
        flags &= (uint8_t)~E_FROM_READ;
    if (!a->to_read)
        flags &= (uint8_t)~E_TO_READ;
    if (mask == e->gate_mask && flags == e->flags)
        return false;
    e->gate_mask = mask;
    e->flags = flags;
    return true;
}

static bool edge_has_gate(const cw_lock_order *lo, const edge *e, cw_node g)
{
    const cw_node *gs = gates_of(lo, e);
    for (uint32_t j = 0; j < e->ngates; j++)
        if ((e->gate_mask >> j & 1) && gs[j] == g)
            return true;
    return false;
}

/* The bits of `mask` (over start's gates) whose gate f also has. */
static uint8_t narrow_gates(const cw_lock_order *lo, const edge *start, uint8_t mask, const edge *f)
{
    const cw_node *gs = gates_of(lo, start);
    for (uint32_t i = 0; mask >> i; i++)
        if ((mask >> i & 1) && !edge_has_gate(lo, f, gs[i]))
            mask &= (uint8_t)~(1u << i);
    return mask;
}

/* ---- Edge records and lists. */

/* Out of the DAG.  Out of memory, it cannot be listed: every new edge is
   searched from then on, as if refused edges always existed. */
static void refused_link(cw_lock_order *lo, uint32_t ei)
{
    if (!grow((void **)&lo->refused, &lo->refused_cap, lo->nrefused + 1, sizeof *lo->refused)) {
        lo->refusal_unlisted = true;
        return;
    }
    lo->edge[ei].refused = (uint32_t)lo->nrefused;
    lo->refused[lo->nrefused++] = ei;
}

static void refused_unlink(cw_lock_order *lo, uint32_t ei)
{
    uint32_t pos = lo->edge[ei].refused, last = lo->refused[--lo->nrefused];
    lo->refused[pos] = last;
    lo->edge[last].refused = pos;
    lo->edge[ei].refused = NIL;
}

static void node_lists_link(cw_lock_order *lo, uint32_t ei)
{
    edge *e = &lo->edge[ei];
    onode *f = &lo->node[e->from], *t = &lo->node[e->to];
    e->out_prev = e->in_prev = NIL;
    e->out_next = f->out_head;
    e->in_next = t->in_head;
    if (f->out_head != NIL)
        lo->edge[f->out_head].out_prev = ei;
    if (t->in_head != NIL)
        lo->edge[t->in_head].in_prev = ei;
    f->out_head = t->in_head = ei;
}

static void node_lists_unlink(cw_lock_order *lo, uint32_t ei)
{
    edge *e = &lo->edge[ei];
    if (e->out_prev != NIL)
        lo->edge[e->out_prev].out_next = e->out_next;
    else
        lo->node[e->from].out_head = e->out_next;
    if (e->out_next != NIL)
        lo->edge[e->out_next].out_prev = e->out_prev;
    if (e->in_prev != NIL)
        lo->edge[e->in_prev].in_next = e->in_next;
    else
        lo->node[e->to].in_head = e->in_next;
    if (e->in_next != NIL)
        lo->edge[e->in_next].in_prev = e->in_prev;
}

/* A block for n > 0 gates; NIL when out of memory (the edge then keeps no
   gates: its cycles look more feasible, never less). */
static uint32_t gate_block_new(cw_lock_order *lo, const cw_node *g, uint32_t n)
{
    uint32_t bi = lo->free_gate;
    if (bi != NIL) {
        lo->free_gate = (uint32_t)lo->gate[bi].g[0];
    } else {
        if (lo->gate_slots >= NIL ||
            !grow((void **)&lo->gate, &lo->gate_cap, lo->gate_slots + 1, sizeof *lo->gate))
            return NIL;
        bi = (uint32_t)lo->gate_slots++;
    }
    memcpy(lo->gate[bi].g, g, n * sizeof *g);
    return bi;
}

static void gate_block_free(cw_lock_order *lo, uint32_t bi)
{
    lo->gate[bi].g[0] = lo->free_gate;
    lo->free_gate = bi;
}

/* A new record for the first occurrence of from->to, in the table and on
   the node lists but not yet in the DAG; NIL when out of memory. */
static uint32_t edge_create(cw_lock_order *lo, uint32_t from, uint32_t to, uint32_t h,
                            const cw_edge_attrs *a)
{
    if (!table_reserve(lo))
        return NIL;
    uint32_t ei = lo->free_edge;
    if (ei != NIL) {
        lo->free_edge = lo->edge[ei].out_next;
    } else {
        if (lo->edge_slots >= NIL ||
            !grow((void **)&lo->edge, &lo->edge_cap, lo->edge_slots + 1, sizeof *lo->edge))
            return NIL;
        ei = (uint32_t)lo->edge_slots++;
    }
    cw_node g[CW_MAX_GATES];
    uint32_t ng = distinct_gates(a, id_of(lo, from), id_of(lo, to), g);
    uint32_t gb = ng ? gate_block_new(lo, g, ng) : NIL;
    if (gb == NIL)
        ng = 0;
    uint8_t flags = (a->from_read ? E_FIRST_FROM_READ | E_FROM_READ : 0) |
                    (a->to_read ? E_FIRST_TO_READ | E_TO_READ : 0);
    lo->edge[ei] = (edge){ .from = from, .to = to, .from_stack = a->from_stack, .to_stack = a->to_stack,
                           .thread = a->thread, .gates = gb, .refused = NIL, .ngates = (uint8_t)ng,
                           .gate_mask = (uint8_t)((1u << ng) - 1), .flags = flags };
    node_lists_link(lo, ei);
    lo->table[table_probe(lo, from, to, h)] = (eslot){ ei, h };
    lo->table_len++;
    lo->nedges++;
    return ei;
}

/* Forgets the record (the DAG's copy goes with the node); returns whether
   the edge was in the DAG. */
static bool edge_destroy(cw_lock_order *lo, uint32_t ei)
{
    edge *e = &lo->edge[ei];
    bool in_dag = e->refused == NIL;
    if (!in_dag)
        refused_unlink(lo, ei);
    if (e->gates != NIL)
        gate_block_free(lo, e->gates);
    table_erase(lo, ei);
    node_lists_unlink(lo, ei);
    e->out_next = lo->free_edge;
    lo->free_edge = ei;
    lo->nedges--;
    return in_dag;
}

/* Refused edges may fit the DAG once nodes of their cycles are gone.  A pass
   costs one DAG insertion per refused edge, so it waits until as many DAG
   edges were lost: amortized, churning locks don't pay it on every edge. */
static void promote_refused(cw_lock_order *lo)
{
    if (lo->nrefused == 0 || lo->dag_lost < lo->nrefused)
        return;
    /* Newest first; an unlinked edge's place takes the last one, already seen. */
    for (size_t i = lo->nrefused; i-- > 0;) {
        uint32_t ei = lo->refused[i];
        const edge *e = &lo->edge[ei];
        if (cw_lock_graph_insert_edge(lo->dag, id_of(lo, e->from), id_of(lo, e->to)))
            refused_unlink(lo, ei);
    }
    lo->dag_lost = 0;
}

/* ---- Reporting: canonical node sets. */

static uint64_t node_set_hash(cw_node *ids, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        cw_node v = ids[i];
        size_t j = i;
        for (; j > 0 && ids[j - 1] > v; j--)
            ids[j] = ids[j - 1];
        ids[j] = v;
    }
    uint64_t h = mix64(n);
    for (size_t i = 0; i < n; i++)
        h = mix64(h ^ ids[i]);
    return h ? h : 1;
}

/* The cycle: start edge, then path[0..n-1]. */
static uint64_t cycle_hash(const cw_lock_order *lo, uint32_t start, const uint32_t *path,
                           size_t n)
{
    cw_node ids[CW_MAX_CYCLE];
    ids[0] = id_of(lo, lo->edge[start].from);
    ids[1] = id_of(lo, lo->edge[start].to);
    for (size_t i = 0; i + 1 < n; i++)
        ids[i + 2] = id_of(lo, lo->edge[path[i]].to);
    return node_set_hash(ids, n + 1);
}

static void fill_cycle(const cw_lock_order *lo, uint32_t start, const uint32_t *path,
                       size_t n, cw_cycle *out)
{
    if (out == NULL)
        return;
    out->n = n + 1;
    for (size_t i = 0; i <= n; i++) {
        const edge *e = &lo->edge[i == 0 ? start : path[i - 1]];
        cw_cycle_edge *c = &out->edges[i];
        *c = (cw_cycle_edge){
            .from = id_of(lo, e->from), .to = id_of(lo, e->to),
            .first = { .from_stack = e->from_stack, .to_stack = e->to_stack, .thread = e->thread,
                       .from_read = e->flags & E_FIRST_FROM_READ, .to_read = e->flags & E_FIRST_TO_READ,
                       .ngates = e->ngates },
        };
        if (e->ngates)
            memcpy(c->first.gates, gates_of(lo, e), e->ngates * sizeof(cw_node));
    }
}

/* Reports start + path unless its node set was reported before. */
static bool report_if_new(cw_lock_order *lo, uint32_t start, const uint32_t *path, size_t n,
                          cw_cycle *out)
{
    uint64_t h = cycle_hash(lo, start, path, n);
    if (keyset_contains(lo->reported, lo->reported_cap, h))
        return false;
    /* Out of memory: report anyway; it may be reported again later. */
    (void)keyset_insert(&lo->reported, &lo->reported_cap, &lo->reported_len, h);
    fill_cycle(lo, start, path, n, out);
    return true;
}

/* ---- Feasible-cycle search through edge `start` = X->Y: paths Y ~> X.
 * A step along f from a node entered in read mode is forbidden when f holds
 * that node in read mode; the gate mask narrows to the start edge's gates
 * that f also has; the cycle closes at X when the mask is empty and X is not
 * read/read. */

static bool closes_at(const edge *start, uint8_t mask, const edge *f)
{
    return mask == 0 && !((f->flags & E_TO_READ) && (start->flags & E_FROM_READ));
}

enum { SEARCH_NONE, SEARCH_FOUND, SEARCH_MAYBE };

/* Whether X and the sources of path[0..n-1] are distinct nodes. */
static bool path_is_simple(cw_lock_order *lo, uint32_t start, const uint32_t *path, size_t n)
{
    onode *x = &lo->node[lo->edge[start].from];
    size_t marked = 0;
    bool simple = true;
    x->on_path = true;
    for (; marked < n; marked++) {
        onode *v = &lo->node[lo->edge[path[marked]].from];
        if (v->on_path) {
            simple = false;
            break;
        }
        v->on_path = true;
    }
    x->on_path = false;
    for (size_t i = 0; i < marked; i++)
        lo->node[lo->edge[path[i]].from].on_path = false;
    return simple;
}

/* A BFS goal reached by state s then edge f: report it when it is a simple
   cycle over a new node set. */
static bool bfs_try_goal(cw_lock_order *lo, uint32_t start, uint32_t s, uint32_t f,
                         cw_cycle *out)
{
    uint32_t path[CW_MAX_CYCLE];
    size_t n = (size_t)lo->st[s].depth;       /* edges after start, with f */
    path[n - 1] = f;
    for (size_t i = n - 1; i > 0; i--, s = lo->st[s].parent)
        path[i - 1] = lo->st[s].via;
    return path_is_simple(lo, start, path, n) && report_if_new(lo, start, path, n, out);
}

/* Large scratch goes back to malloc; the key set is also dropped when merely
   mid-sized, since clearing it costs more than rebuilding it. */
static void search_scratch_trim(cw_lock_order *lo)
{
    if (lo->st_cap > SCRATCH_KEEP) {
        free(lo->st);
        lo->st = NULL;
        lo->st_cap = 0;
    }
    if (lo->seen_cap > 1024) {
        free(lo->seen);
        lo->seen = NULL;
        lo->seen_cap = 0;
    } else if (lo->seen_cap) {
        memset(lo->seen, 0, lo->seen_cap * sizeof *lo->seen);
    }
}

/* Returns -1 when out of memory or over budget, 0 when seen, 1 when pushed. */
static int bfs_push(cw_lock_order *lo, size_t *nst, bfs_state s)
{
    uint64_t key = (uint64_t)s.node << 16 | (uint64_t)s.mask << 8 | (uint64_t)s.read << 1 | 1;
    size_t seen_len = *nst;
    if (*nst >= CW_BFS_MAX_STATES || !grow((void **)&lo->st, &lo->st_cap, *nst + 1, sizeof *lo->st))
        return -1;
    int r = keyset_insert(&lo->seen, &lo->seen_cap, &seen_len, key);
    if (r == 1)
        lo->st[(*nst)++] = s;
    return r;
}

/* Breadth-first over states (node, mask, read): a relaxation that ignores
   simplicity, so SEARCH_NONE is exact; a goal reached only by non-simple walks
   or already reported node sets gives SEARCH_MAYBE. */
static int bfs_search(cw_lock_order *lo, uint32_t start, cw_cycle *out)
{
    const edge *se = &lo->edge[start];
    uint32_t x = se->from;
    size_t nst = 0;
    int result = SEARCH_NONE;
    bfs_state s0 = { se->to, NIL, start, se->gate_mask, (se->flags & E_TO_READ) != 0, 1 };
    if (bfs_push(lo, &nst, s0) < 0)
        return SEARCH_MAYBE;
    for (size_t head = 0; head < nst; head++) {
        bfs_state s = lo->st[head];
        for (uint32_t fi = lo->node[s.node].out_head; fi != NIL; fi = lo->edge[fi].out_next) {
            const edge *f = &lo->edge[fi];
            if (s.read && (f->flags & E_FROM_READ))
                continue;
            uint8_t mask = narrow_gates(lo, se, s.mask, f);
            uint32_t t = f->to;
            if (t == x) {
                if (!closes_at(se, mask, f))
                    continue;
                if (bfs_try_goal(lo, start, (uint32_t)head, fi, out))
                    return SEARCH_FOUND;
                result = SEARCH_MAYBE;
            } else if (s.depth + 2 <= CW_MAX_CYCLE) {
                bfs_state n = { t, (uint32_t)head, fi, mask, (f->flags & E_TO_READ) != 0, (uint8_t)(s.depth + 1) };
                if (bfs_push(lo, &nst, n) < 0)
                    return SEARCH_MAYBE;
            }
        }
    }
    return result;
}

typedef struct dfs_frame {
    uint32_t node, next;        /* node index; next out-edge to try */
    uint8_t mask;
    bool read;
} dfs_frame;

/* Depth-first over simple paths, exhaustive up to DFS_MAX_STEPS.  Needs no
   memory: at most CW_MAX_CYCLE frames. */
static bool dfs_search(cw_lock_order *lo, uint32_t start, cw_cycle *out)
{
    const edge *se = &lo->edge[start];
    uint32_t x = se->from, y = se->to;
    dfs_frame fr[CW_MAX_CYCLE];
    uint32_t path[CW_MAX_CYCLE];           /* path[i] leaves fr[i] */
    size_t depth = 1, steps = 0;           /* frames in use = edges so far */
    bool found = false;
    fr[0] = (dfs_frame){ y, lo->node[y].out_head, se->gate_mask, (se->flags & E_TO_READ) != 0 };
    lo->node[x].on_path = lo->node[y].on_path = true;
    while (depth > 0 && !found && steps++ < DFS_MAX_STEPS) {
        dfs_frame *c = &fr[depth - 1];
        uint32_t fi = c->next;
        if (fi == NIL) {
            lo->node[c->node].on_path = false;
            depth--;
            continue;
        }
        const edge *f = &lo->edge[fi];
        c->next = f->out_next;
        if (c->read && (f->flags & E_FROM_READ))
            continue;
        uint8_t mask = narrow_gates(lo, se, c->mask, f);
        uint32_t t = f->to;
        path[depth - 1] = fi;
        if (t == x) {
            found = closes_at(se, mask, f) && report_if_new(lo, start, path, depth, out);
        } else if (!lo->node[t].on_path && depth + 2 <= CW_MAX_CYCLE) {
            fr[depth++] = (dfs_frame){ t, lo->node[t].out_head, mask, (f->flags & E_TO_READ) != 0 };
            lo->node[t].on_path = true;
        }
    }
    for (size_t i = 0; i < depth; i++)
        lo->node[fr[i].node].on_path = false;
    lo->node[x].on_path = false;
    return found;
}

static bool find_new_cycle(cw_lock_order *lo, uint32_t start, cw_cycle *out)
{
    int r = bfs_search(lo, start, out);
    search_scratch_trim(lo);
    if (r == SEARCH_MAYBE)
        return dfs_search(lo, start, out);
    return r == SEARCH_FOUND;
}

/* Whether a cycle through ei is possible at all, cheapest tests first. */
static bool may_close_cycle(cw_lock_order *lo, uint32_t ei)
{
    bool in_dag = lo->edge[ei].refused == NIL;
    if (in_dag)
        promote_refused(lo);
    if (in_dag && lo->nrefused == 0 && !lo->refusal_unlisted)
        return false;
    return lo->node[lo->edge[ei].from].in_head != NIL && lo->node[lo->edge[ei].to].out_head != NIL;
}

/* ---- Public API. */

cw_lock_order *cw_lock_order_new(void)
{
    cw_lock_order *lo = calloc(1, sizeof *lo);
    if (lo == NULL)
        return NULL;
    lo->dag = cw_lock_graph_new();
    if (lo->dag == NULL) {
        free(lo);
        return NULL;
    }
    lo->free_edge = lo->free_gate = NIL;
    return lo;
}

void cw_lock_order_free(cw_lock_order *lo)
{
    if (lo == NULL)
        return;
    cw_lock_graph_free(lo->dag);
    free(lo->node);
    free(lo->edge);
    free(lo->gate);
    free(lo->refused);
    free(lo->table);
    free(lo->reported);
    free(lo->st);
    free(lo->seen);
    free(lo);
}

cw_node cw_lock_order_node_new(cw_lock_order *lo)
{
    if (lo == NULL)
        return CW_NO_NODE;
    cw_node id = cw_lock_graph_node_new(lo->dag);
    if (id == CW_NO_NODE)
        return CW_NO_NODE;
    size_t idx = cw_lock_graph_node_index(id), old = lo->node_cap;
    if (!grow((void **)&lo->node, &lo->node_cap, idx + 1, sizeof *lo->node)) {
        cw_lock_graph_node_remove(lo->dag, id);
        return CW_NO_NODE;
    }
    if (lo->node_cap > old)
        memset(&lo->node[old], 0, (lo->node_cap - old) * sizeof *lo->node);
    lo->node[idx] = (onode){ .id = id, .out_head = NIL, .in_head = NIL };
    return id;
}

void cw_lock_order_node_remove(cw_lock_order *lo, cw_node n)
{
    onode *v = lo ? live_node(lo, n) : NULL;
    if (v == NULL)
        return;
    size_t dag_out = 0, dag_in = 0;
    while (v->out_head != NIL)
        dag_out += edge_destroy(lo, v->out_head);
    while (v->in_head != NIL)
        dag_in += edge_destroy(lo, v->in_head);
    v->id = CW_NO_NODE;
    cw_lock_graph_node_remove(lo->dag, n);
    /* Only a node with DAG edges both ways can have been on the DAG path that
       made an edge refused. */
    if (dag_out > 0 && dag_in > 0 && lo->nrefused > 0)
        lo->dag_lost += dag_out + dag_in;
}

cw_edge_result cw_lock_order_add_edge(cw_lock_order *lo, cw_node from, cw_node to,
                                      const cw_edge_attrs *attrs, cw_cycle *out)
{
    if (lo == NULL || attrs == NULL || from == to || !live_node(lo, from) || !live_node(lo, to))
        return CW_EDGE_KNOWN;
    /* Both ends live: their slots name them. */
    uint32_t fi = cw_lock_graph_node_index(from), ti = cw_lock_graph_node_index(to);
    uint32_t h = edge_hash(fi, ti);
    uint32_t ei = table_find(lo, fi, ti, h);
    if (ei != NIL) {
        if (!merge_occurrence(lo, &lo->edge[ei], attrs))
            return CW_EDGE_KNOWN;
    } else {
        ei = edge_create(lo, fi, ti, h, attrs);
        if (ei == NIL)
            return CW_EDGE_KNOWN;
        /* Memory failure in the DAG counts as a refusal: still searched. */
        if (!cw_lock_graph_insert_edge(lo->dag, from, to))
            refused_link(lo, ei);
    }
    if (may_close_cycle(lo, ei) && find_new_cycle(lo, ei, out))
        return CW_EDGE_CYCLE;
    return CW_EDGE_ADDED;
}

int cw_lock_order_edge_gates(const cw_lock_order *lo, cw_node from, cw_node to, cw_node *gates, int max)
{
    if (lo == NULL || from == to || !live_node(lo, from) || !live_node(lo, to))
        return -1;
    uint32_t fi = cw_lock_graph_node_index(from), ti = cw_lock_graph_node_index(to);
    uint32_t ei = table_find(lo, fi, ti, edge_hash(fi, ti));
    if (ei == NIL || (lo->edge[ei].flags & (E_FROM_READ | E_TO_READ)))
        return -1;
    const edge *e = &lo->edge[ei];
    const cw_node *g = gates_of(lo, e);
    int n = 0;
    for (uint32_t i = 0; i < e->ngates; i++) {
        if (!(e->gate_mask >> i & 1))
            continue;
        if (n == max)
            return -1;
        gates[n++] = g[i];
    }
    return n;
}

size_t cw_lock_order_node_count(const cw_lock_order *lo)
{
    return lo ? cw_lock_graph_node_count(lo->dag) : 0;
}

size_t cw_lock_order_edge_count(const cw_lock_order *lo)
{
    return lo ? lo->nedges : 0;
}

bool cw_lock_order_set_first_stacks(cw_lock_order *lo, cw_node from, cw_node to, uint32_t from_stack,
                                    uint32_t to_stack)
{
    if (lo == NULL || from == to || !live_node(lo, from) || !live_node(lo, to))
        return false;
    uint32_t fi = cw_lock_graph_node_index(from), ti = cw_lock_graph_node_index(to);
    uint32_t ei = table_find(lo, fi, ti, edge_hash(fi, ti));
    if (ei == NIL)
        return false;
    lo->edge[ei].from_stack = from_stack;
    lo->edge[ei].to_stack = to_stack;
    return true;
}

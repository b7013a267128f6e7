/*
 * cw_lock_order against a brute-force reference on small random graphs: the
 * reference keeps every edge's merged attributes and, for each occurrence,
 * enumerates all simple cycles through the edge and applies the gate and
 * read/read rules itself.  Checked after every call:
 *   - KNOWN exactly when the occurrence changed nothing;
 *   - CYCLE exactly when a feasible simple cycle through the edge exists whose
 *     node set was not reported before; the reported cycle is such a cycle;
 *   - the edge count.
 * Gates are locks of the same graph, so gate locks also have edges.
 */
#include "analysis/lock_order.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond) && failures++ < 20) {                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s (seed %llu, op %d)\n", __FILE__, \
                    __LINE__, #cond, (unsigned long long)seed, op_no);         \
        }                                                                      \
    } while (0)

static uint64_t seed, rng_state;
static int op_no;
static long results[3];             /* by cw_edge_result, for the summary */

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

#define N 7                         /* live locks, model slots 0..N-1 */

typedef struct ref_edge {
    bool present;
    uint64_t gates;                 /* bitmask over creation ordinals */
    bool from_read, to_read;
    uint32_t thread;                /* of the first occurrence */
} ref_edge;

typedef struct ref {
    cw_node id[N];
    cw_node created[64];            /* by creation ordinal */
    int ncreated;
    ref_edge e[N][N];
    size_t nedges;
    cw_node reported[4096][N];      /* sorted node sets, 0-padded */
    size_t nreported;
} ref;

static ref m;

static void sorted_set(const cw_node *in, size_t n, cw_node *out)
{
    memset(out, 0, N * sizeof *out);
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && out[j - 1] > in[i]; j--)
            out[j] = out[j - 1];
        out[j] = in[i];
    }
}

static bool was_reported(const cw_node *set)
{
    for (size_t i = 0; i < m.nreported; i++)
        if (memcmp(m.reported[i], set, N * sizeof *set) == 0)
            return true;
    return false;
}

/* The cycle slots cyc[0..n-1] (edge cyc[i] -> cyc[i+1 mod n]) is feasible. */
static bool ref_feasible(const int *cyc, int n)
{
    uint64_t common = ~0ull;
    for (int i = 0; i < n; i++) {
        const ref_edge *in = &m.e[cyc[(i + n - 1) % n]][cyc[i]];
        const ref_edge *out = &m.e[cyc[i]][cyc[(i + 1) % n]];
        common &= out->gates;
        if (in->to_read && out->from_read)
            return false;
    }
    return common == 0;
}

/* Whether a feasible simple cycle x->y->...->x with an unreported node set
   exists: depth-first over all simple paths from y. */
static bool ref_unreported_cycle(int x, int y)
{
    int path[N], depth = 1;
    int next[N];
    bool on[N] = { 0 };
    path[0] = x;
    path[1] = y;
    on[x] = on[y] = true;
    next[1] = 0;
    depth = 2;
    while (depth > 1) {
        int c = path[depth - 1];
        int w = next[depth - 1]++;
        if (w >= N) {
            on[c] = false;
            depth--;
            continue;
        }
        if (!m.e[c][w].present)
            continue;
        if (w == x) {
            cw_node ids[N], set[N];
            for (int i = 0; i < depth; i++)
                ids[i] = m.id[path[i]];
            sorted_set(ids, (size_t)depth, set);
            if (ref_feasible(path, depth) && !was_reported(set))
                return true;
        } else if (!on[w]) {
            on[w] = true;
            path[depth] = w;
            next[depth] = 0;
            depth++;
        }
    }
    return false;
}

static int slot_of(cw_node id)
{
    for (int i = 0; i < N; i++)
        if (m.id[i] == id)
            return i;
    return -1;
}

/* The implementation's cycle must be a feasible, simple, unreported cycle of
   the reference through from->to; it is then recorded as reported. */
static void check_reported_cycle(const cw_cycle *c, cw_node from, cw_node to)
{
    int cyc[N];
    cw_node ids[N], set[N];
    bool through = false, ok = c->n >= 2 && c->n <= N;
    for (size_t i = 0; ok && i < c->n; i++) {
        const cw_cycle_edge *e = &c->edges[i];
        int a = slot_of(e->from), b = slot_of(e->to);
        ok = a >= 0 && b >= 0 && m.e[a][b].present && e->to == c->edges[(i + 1) % c->n].from &&
             e->first.thread == m.e[a][b].thread;
        through |= e->from == from && e->to == to;
        if (ok) {
            cyc[i] = a;
            ids[i] = e->from;
        }
    }
    CHECK(ok && through);
    if (!ok || !through)
        return;
    sorted_set(ids, c->n, set);
    for (size_t i = 0; i + 1 < c->n; i++)
        CHECK(set[i] != set[i + 1]);                /* simple */
    CHECK(ref_feasible(cyc, (int)c->n));
    CHECK(!was_reported(set));
    if (m.nreported < sizeof m.reported / sizeof m.reported[0])
        memcpy(m.reported[m.nreported++], set, sizeof set);
}

static int ordinal_of(cw_node id)
{
    for (int i = 0; i < m.ncreated; i++)
        if (m.created[i] == id)
            return i;
    return -1;
}

static cw_node ref_node_new(cw_lock_order *lo)
{
    cw_node id = cw_lock_order_node_new(lo);
    m.created[m.ncreated++] = id;
    return id;
}

/* Applies an occurrence to the reference; returns whether it changed. */
static bool ref_merge(int a, int b, const cw_edge_attrs *at)
{
    ref_edge *e = &m.e[a][b];
    uint64_t gates = 0;
    for (uint32_t i = 0; i < at->ngates; i++) {
        int o = ordinal_of(at->gates[i]);
        if (o >= 0 && at->gates[i] != m.id[a] && at->gates[i] != m.id[b])
            gates |= 1ull << o;
    }
    if (!e->present) {
        *e = (ref_edge){ true, gates, at->from_read, at->to_read, at->thread };
        m.nedges++;
        return true;
    }
    ref_edge old = *e;
    e->gates &= gates;
    e->from_read &= at->from_read;
    e->to_read &= at->to_read;
    return e->gates != old.gates || e->from_read != old.from_read || e->to_read != old.to_read;
}

/* Per round: 0 mixed, 1 gate-heavy, 2 read-heavy (suppressed cycles that
   widening edges later make real). */
static int regime;

static void random_attrs(cw_edge_attrs *at, int a, int b)
{
    uint32_t read_odds = regime == 2 ? 2 : 4;
    memset(at, 0, sizeof *at);
    at->thread = (uint32_t)op_no;
    at->from_read = rnd(read_odds) == 0;
    at->to_read = rnd(read_odds) == 0;
    /* Gates from a small pool so that intersections often stay non-empty. */
    for (int s = 0; s < 3; s++)
        if (s != a && s != b && (regime == 1 ? rnd(4) != 0 : rnd(3) == 0))
            at->gates[at->ngates++] = m.id[s];
    /* Sometimes non-gates, which must be ignored: an end, 0, a repeat. */
    if (rnd(8) == 0)
        at->gates[at->ngates++] = m.id[a];
    if (rnd(8) == 0)
        at->gates[at->ngates++] = 0;
    if (rnd(8) == 0 && at->ngates > 0)
        at->gates[at->ngates++] = at->gates[0];
}

static void random_edge(cw_lock_order *lo)
{
    int a = (int)rnd(N), b = (int)rnd(N);
    if (a == b)
        return;
    cw_edge_attrs at;
    random_attrs(&at, a, b);
    cw_cycle c;
    cw_edge_result got = cw_lock_order_add_edge(lo, m.id[a], m.id[b], &at, &c);
    bool changed = ref_merge(a, b, &at);
    cw_edge_result want = !changed                   ? CW_EDGE_KNOWN
                          : ref_unreported_cycle(a, b) ? CW_EDGE_CYCLE
                                                       : CW_EDGE_ADDED;
    results[got]++;
    CHECK(got == want);
    if (got != want)
        fprintf(stderr, "  %d->%d: got %d, want %d\n", a, b, got, want);
    if (got == CW_EDGE_CYCLE)
        check_reported_cycle(&c, m.id[a], m.id[b]);
}

static void random_replace_node(cw_lock_order *lo)
{
    int s = (int)rnd(N);
    if (m.ncreated == 64)
        return;
    cw_lock_order_node_remove(lo, m.id[s]);
    for (int w = 0; w < N; w++) {
        m.nedges -= m.e[s][w].present + m.e[w][s].present;
        m.e[s][w] = m.e[w][s] = (ref_edge){ 0 };
    }
    /* Edges recorded under the dead lock keep it as a gate: they were
       serialized by it.  New occurrences can't name it, so it only drops. */
    m.id[s] = ref_node_new(lo);
}

static void round_once(int nops)
{
    memset(&m, 0, sizeof m);
    cw_lock_order *lo = cw_lock_order_new();
    for (int i = 0; i < N; i++)
        m.id[i] = ref_node_new(lo);
    for (op_no = 0; op_no < nops && failures == 0; op_no++) {
        if (rnd(40) == 0)
            random_replace_node(lo);
        else
            random_edge(lo);
        CHECK(cw_lock_order_edge_count(lo) == m.nedges);
        CHECK(cw_lock_order_node_count(lo) == N);
    }
    cw_lock_order_free(lo);
}

int main(int argc, char **argv)
{
    uint64_t first = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
    int rounds = argc > 2 ? atoi(argv[2]) : 400;
    for (int r = 0; r < rounds && failures == 0; r++) {
        seed = first + (uint64_t)r;
        rng_state = seed * 0x9E3779B97F4A7C15ull | 1;
        regime = (int)(seed % 3);
        round_once(300);
    }
    if (failures) {
        fprintf(stderr, "test_lock_order_random: %d failure(s); rerun: %s %llu 1\n",
                failures, argv[0], (unsigned long long)seed);
        return 1;
    }
    printf("test_lock_order_random: ok (%d rounds: %ld known, %ld added, %ld cycles)\n",
           rounds, results[CW_EDGE_KNOWN], results[CW_EDGE_ADDED], results[CW_EDGE_CYCLE]);
    return 0;
}

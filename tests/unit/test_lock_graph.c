/*
 * cw_lock_graph against a brute-force model: every insert_edge answer is
 * compared with plain reachability on an adjacency matrix, under random
 * insertions interleaved with node removals and creations.
 */
#include "check.h"
#include "analysis/lock_graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>



static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* ---- The model: up to MAXLIVE live nodes, each in a model slot. */

#define MAXLIVE 120

typedef struct model {
    cw_node id[MAXLIVE];                 /* 0: slot unused */
    bool adj[MAXLIVE][MAXLIVE];
    size_t nedges;
} model;

static bool model_reaches(const model *m, int from, int to)
{
    bool seen[MAXLIVE] = { 0 };
    int stack[MAXLIVE], top = 0;
    stack[top++] = from;
    seen[from] = true;
    while (top > 0) {
        int n = stack[--top];
        if (n == to)
            return true;
        for (int w = 0; w < MAXLIVE; w++)
            if (m->adj[n][w] && !seen[w]) {
                seen[w] = true;
                stack[top++] = w;
            }
    }
    return false;
}

static int model_slot_of(const model *m, cw_node id)
{
    for (int i = 0; i < MAXLIVE; i++)
        if (m->id[i] == id && id != 0)
            return i;
    return -1;
}

static void model_remove(model *m, int s)
{
    for (int w = 0; w < MAXLIVE; w++) {
        m->nedges -= m->adj[s][w] + m->adj[w][s];
        m->adj[s][w] = m->adj[w][s] = false;
    }
    m->id[s] = 0;
}

static int random_live(const model *m)
{
    for (int tries = 0; tries < 1000; tries++) {
        int s = (int)rnd(MAXLIVE);
        if (m->id[s])
            return s;
    }
    return -1;
}

/* The path must start at from, end at to, follow edges, repeat no node. */
static bool path_valid(const cw_lock_graph *g, const cw_node *p, size_t n, cw_node from,
                       cw_node to)
{
    if (n == 0 || p[0] != from || p[n - 1] != to)
        return false;
    for (size_t i = 0; i + 1 < n; i++) {
        if (!cw_lock_graph_has_edge(g, p[i], p[i + 1]))
            return false;
        for (size_t j = i + 1; j < n; j++)
            if (p[i] == p[j])
                return false;
    }
    return true;
}

static void check_insert(cw_lock_graph *g, model *m, int a, int b)
{
    bool expect = a != b && (m->adj[a][b] || !model_reaches(m, b, a));
    bool got = cw_lock_graph_insert_edge(g, m->id[a], m->id[b]);
    CHECK(got == expect);
    if (got != expect)
        fprintf(stderr, "  insert %d->%d: got %d, expected %d\n", a, b, got, expect);
    if (expect && !m->adj[a][b]) {
        m->adj[a][b] = true;
        m->nedges++;
    }
    CHECK(cw_lock_graph_has_edge(g, m->id[a], m->id[b]) == m->adj[a][b]);
}

static void check_find_path(cw_lock_graph *g, const model *m, int a, int b)
{
    cw_node path[MAXLIVE + 1];
    size_t n = cw_lock_graph_find_path(g, m->id[a], m->id[b], MAXLIVE + 1, path);
    CHECK((n > 0) == model_reaches(m, a, b));
    if (n > 0)
        CHECK(path_valid(g, path, n, m->id[a], m->id[b]));
}

static void random_round(int nops)
{
    static model m;
    memset(&m, 0, sizeof m);
    cw_lock_graph *g = cw_lock_graph_new();
    CHECK(g != NULL);
    for (int i = 0; i < MAXLIVE; i++)
        m.id[i] = cw_lock_graph_node_new(g);
    for (int op = 0; op < nops; op++) {
        uint32_t r = rnd(100);
        int a = random_live(&m), b = random_live(&m);
        if (a < 0 || b < 0)
            break;
        if (r < 2) {
            cw_node dead = m.id[a];
            cw_lock_graph_node_remove(g, dead);
            model_remove(&m, a);
            CHECK(!cw_lock_graph_node_alive(g, dead));
            m.id[a] = cw_lock_graph_node_new(g);
            CHECK(m.id[a] != dead && model_slot_of(&m, dead) < 0);
        } else if (r < 7) {
            check_find_path(g, &m, a, b);
        } else {
            check_insert(g, &m, a, b);
        }
        if (op % 500 == 0) {
            CHECK(cw_lock_graph_check_invariants(g));
            CHECK(cw_lock_graph_edge_count(g) == m.nedges);
        }
    }
    CHECK(cw_lock_graph_check_invariants(g));
    CHECK(cw_lock_graph_edge_count(g) == m.nedges);
    CHECK(cw_lock_graph_node_count(g) == MAXLIVE);
    cw_lock_graph_free(g);
}

static void test_random_vs_model(void)
{
    for (int round = 0; round < 30 && failures == 0; round++)
        random_round(6000);
}

static void test_basic(void)
{
    cw_lock_graph *g = cw_lock_graph_new();
    cw_node a = cw_lock_graph_node_new(g), b = cw_lock_graph_node_new(g),
            c = cw_lock_graph_node_new(g);
    CHECK(a && b && c && a != b && b != c);
    CHECK(cw_lock_graph_insert_edge(g, a, b));
    CHECK(cw_lock_graph_insert_edge(g, b, c));
    CHECK(cw_lock_graph_insert_edge(g, a, b));      /* already there */
    CHECK(!cw_lock_graph_insert_edge(g, c, a));     /* closes a->b->c->a */
    CHECK(!cw_lock_graph_insert_edge(g, a, a));
    CHECK(!cw_lock_graph_has_edge(g, c, a));
    CHECK(cw_lock_graph_edge_count(g) == 2);
    cw_node p[3];
    CHECK(cw_lock_graph_find_path(g, a, c, 3, p) == 3 && p[0] == a && p[1] == b && p[2] == c);
    CHECK(cw_lock_graph_find_path(g, a, c, 1, p) == 3 && p[0] == a);   /* cut */
    CHECK(cw_lock_graph_find_path(g, c, a, 3, p) == 0);
    CHECK(cw_lock_graph_find_path(g, b, b, 3, p) == 1 && p[0] == b);
    CHECK(cw_lock_graph_check_invariants(g));
    cw_lock_graph_free(g);
    cw_lock_graph_free(NULL);
}

static void test_removal_and_staleness(void)
{
    cw_lock_graph *g = cw_lock_graph_new();
    cw_node a = cw_lock_graph_node_new(g), b = cw_lock_graph_node_new(g),
            c = cw_lock_graph_node_new(g);
    CHECK(cw_lock_graph_insert_edge(g, a, b) && cw_lock_graph_insert_edge(g, b, c));
    cw_lock_graph_node_remove(g, b);
    CHECK(!cw_lock_graph_node_alive(g, b));
    CHECK(cw_lock_graph_edge_count(g) == 0 && cw_lock_graph_node_count(g) == 2);
    CHECK(cw_lock_graph_insert_edge(g, c, a));      /* a->b->c is gone */
    cw_node b2 = cw_lock_graph_node_new(g);
    CHECK(b2 != b && cw_lock_graph_node_index(b2) == cw_lock_graph_node_index(b));
    /* The stale handle names nothing, even though its slot is busy again. */
    CHECK(cw_lock_graph_insert_edge(g, a, b));
    CHECK(!cw_lock_graph_has_edge(g, a, b) && !cw_lock_graph_has_edge(g, a, b2));
    CHECK(cw_lock_graph_find_path(g, b, b, 1, NULL) == 0);
    cw_lock_graph_node_remove(g, b);                /* ignored */
    CHECK(cw_lock_graph_node_alive(g, b2));
    CHECK(!cw_lock_graph_node_alive(g, CW_NO_NODE) && !cw_lock_graph_node_alive(g, 12345));
    CHECK(cw_lock_graph_check_invariants(g));
    cw_lock_graph_free(g);
}

/* A program creating and destroying a million locks, each ordered after a
   long-lived one, must keep reusing the same few slots. */
static void test_slot_reuse(void)
{
    cw_lock_graph *g = cw_lock_graph_new();
    cw_node root = cw_lock_graph_node_new(g);
    uint32_t max_index = 0;
    for (int i = 0; i < 1000000; i++) {
        cw_node n = cw_lock_graph_node_new(g);
        CHECK(cw_lock_graph_insert_edge(g, n, root));
        if (cw_lock_graph_node_index(n) > max_index)
            max_index = cw_lock_graph_node_index(n);
        cw_lock_graph_node_remove(g, n);
    }
    CHECK(max_index == 1);
    CHECK(cw_lock_graph_edge_count(g) == 0);
    CHECK(cw_lock_graph_check_invariants(g));
    cw_lock_graph_free(g);
}

/* Two 100k-node chains, a (created last, so ranked above) and b; joining
   a's tail to b's head re-ranks both chains in one insertion, with searches
   this deep that a recursive implementation would overflow its stack. */
static void test_long_chains(void)
{
    enum { N = 100000 };
    cw_lock_graph *g = cw_lock_graph_new();
    cw_node *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    for (int i = 0; i < N; i++)
        b[i] = cw_lock_graph_node_new(g);
    for (int i = 0; i < N; i++)
        a[i] = cw_lock_graph_node_new(g);
    for (int i = 0; i + 1 < N; i++)
        CHECK(cw_lock_graph_insert_edge(g, a[i], a[i + 1]) &&
              cw_lock_graph_insert_edge(g, b[i], b[i + 1]));
    CHECK(cw_lock_graph_insert_edge(g, a[N - 1], b[0]));
    CHECK(cw_lock_graph_check_invariants(g));
    CHECK(!cw_lock_graph_insert_edge(g, b[N - 1], a[0]));
    CHECK(cw_lock_graph_find_path(g, a[0], b[N - 1], 0, NULL) == 2 * N);
    CHECK(cw_lock_graph_check_invariants(g));
    free(a);
    free(b);
    cw_lock_graph_free(g);
}

int main(void)
{
    test_basic();
    test_removal_and_staleness();
    test_random_vs_model();
    test_slot_reuse();
    test_long_chains();
    if (failures) {
        fprintf(stderr, "test_lock_graph: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_lock_graph: ok\n");
    return 0;
}

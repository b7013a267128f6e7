/*
 * Cost of an edge at 1k, 100k and 1M nodes (not a test; for bench/).
 *   ordered:    every new edge agrees with the current ranks (Pearce-Kelly's
 *               O(1) case: locks created in the order they are nested);
 *   hierarchy:  4 nesting levels, edges from a level to a deeper one, locks
 *               created in random order so most edges force a re-ranking;
 *   random DAG: edges respect a hidden random order, unbounded depth: large
 *               affected regions (the adversarial case);
 *   known:      the same edges again (hash lookup only);
 *   lock_order: cw_lock_order_add_edge on the hierarchy, new then known;
 *               "+inversion": an ABBA reported first, so that a refused edge
 *               exists and every new edge pays the feasible-cycle search.
 * Usage: bench_lock_graph [max_nodes]   (default 1000000)
 */
#include "analysis/lock_graph.h"
#include "analysis/lock_order.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define EDGES_PER_NODE 2

static uint64_t rng_state = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

typedef struct pair {
    uint32_t from, to;
} pair;

typedef enum { ORDERED, HIERARCHY, RANDOM_DAG } shape;

static const char *shape_name[] = { "ordered", "hierarchy", "random DAG" };

/* Edges over node numbers 0..n-1, all consistent with one topological order. */
static pair *make_edges(shape s, uint32_t n, size_t m, uint32_t *order)
{
    pair *e = malloc(m * sizeof *e);
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    if (s != ORDERED)
        for (uint32_t i = n - 1; i > 0; i--) {
            uint32_t j = rnd(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    for (size_t k = 0; k < m; k++) {
        uint32_t a = rnd(n), b = rnd(n);
        if (s == HIERARCHY) {        /* level = position / (n / 4) */
            uint32_t q = n / 4, la = rnd(3), lb = la + 1 + rnd(3 - la);
            a = la * q + rnd(q);
            b = lb * q + rnd(q);
        }
        if (a == b)
            b = (b + 1) % n;
        if (a > b) {
            uint32_t t = a;
            a = b;
            b = t;
        }
        e[k] = (pair){ order[a], order[b] };    /* position a before b */
    }
    return e;
}

static void bench_graph(shape s, uint32_t n)
{
    size_t m = (size_t)n * EDGES_PER_NODE;
    uint32_t *order = malloc(n * sizeof *order);
    pair *e = make_edges(s, n, m, order);
    cw_lock_graph *g = cw_lock_graph_new();
    cw_node *id = malloc(n * sizeof *id);
    for (uint32_t i = 0; i < n; i++)
        id[i] = cw_lock_graph_node_new(g);
    double t0 = now_ns();
    size_t refused = 0;
    for (size_t k = 0; k < m; k++)
        refused += !cw_lock_graph_insert_edge(g, id[e[k].from], id[e[k].to]);
    double t1 = now_ns();
    for (size_t k = 0; k < m; k++)
        cw_lock_graph_insert_edge(g, id[e[k].from], id[e[k].to]);
    double t2 = now_ns();
    printf("lock_graph  %-10s %8u nodes %9zu edges: new %9.1f ns/edge, known %6.1f ns/edge%s\n",
           shape_name[s], n, cw_lock_graph_edge_count(g), (t1 - t0) / m, (t2 - t1) / m,
           refused ? "  (REFUSED EDGES: bug)" : "");
    cw_lock_graph_free(g);
    free(id);
    free(e);
    free(order);
}

static void bench_order(uint32_t n, bool inversion)
{
    size_t m = (size_t)n * EDGES_PER_NODE;
    uint32_t *order = malloc(n * sizeof *order);
    pair *e = make_edges(HIERARCHY, n, m, order);
    cw_lock_order *lo = cw_lock_order_new();
    cw_node *id = malloc(n * sizeof *id);
    for (uint32_t i = 0; i < n; i++)
        id[i] = cw_lock_order_node_new(lo);
    cw_edge_attrs at = { .thread = 1 };
    cw_cycle c;
    if (inversion) {
        cw_lock_order_add_edge(lo, id[0], id[n - 1], &at, &c);
        cw_lock_order_add_edge(lo, id[n - 1], id[0], &at, &c);
    }
    double t0 = now_ns();
    for (size_t k = 0; k < m; k++)
        cw_lock_order_add_edge(lo, id[e[k].from], id[e[k].to], &at, &c);
    double t1 = now_ns();
    for (size_t k = 0; k < m; k++)
        cw_lock_order_add_edge(lo, id[e[k].from], id[e[k].to], &at, &c);
    double t2 = now_ns();
    printf("lock_order  %-10s %8u nodes %9zu edges: new %9.1f ns/edge, known %6.1f ns/edge\n",
           inversion ? "+inversion" : shape_name[HIERARCHY], n, cw_lock_order_edge_count(lo), (t1 - t0) / m,
           (t2 - t1) / m);
    cw_lock_order_free(lo);
    free(id);
    free(e);
    free(order);
}

int main(int argc, char **argv)
{
    uint32_t max = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1000000;
    for (uint32_t n = 1000; n <= max; n *= (n == 1000 ? 100 : 10)) {
        for (int s = ORDERED; s <= RANDOM_DAG; s++)
            bench_graph((shape)s, n);
        bench_order(n, false);
        bench_order(n, true);
    }
    return 0;
}

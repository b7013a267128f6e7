/*
 * cw_lock_order scenarios, each named for its shape (as liblockdep's tests):
 * ABBA, gated ABBA, read/read, the dining philosophers' ring, ...
 */
#include "check.h"
#include "analysis/lock_order.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>



enum { W = 0, R = 1 };          /* mode of a lock on an edge */

static cw_cycle cyc;
static uint32_t next_thread = 1;

/* from(mode) held, to(mode) acquired, with the gates listed (0-terminated). */
static cw_edge_result edge_rw(cw_lock_order *lo, cw_node from, int from_mode, cw_node to,
                              int to_mode, const cw_node *gates)
{
    cw_edge_attrs a = { .from_stack = 100, .to_stack = 200, .thread = next_thread++,
                        .from_read = from_mode == R, .to_read = to_mode == R };
    while (gates && gates[a.ngates] && a.ngates < CW_MAX_GATES) {
        a.gates[a.ngates] = gates[a.ngates];
        a.ngates++;
    }
    memset(&cyc, 0, sizeof cyc);
    return cw_lock_order_add_edge(lo, from, to, &a, &cyc);
}

static cw_edge_result edge(cw_lock_order *lo, cw_node from, cw_node to)
{
    return edge_rw(lo, from, W, to, W, NULL);
}

static cw_edge_result edge_g(cw_lock_order *lo, cw_node from, cw_node to, cw_node gate)
{
    cw_node gates[2] = { gate, 0 };
    return edge_rw(lo, from, W, to, W, gates);
}

/* The reported cycle is closed, simple, and visits exactly nodes[0..n-1]
   in this cyclic order (any rotation). */
static bool cycle_is(const cw_cycle *c, size_t n, const cw_node *nodes)
{
    if (c->n != n)
        return false;
    size_t rot = 0;
    while (rot < n && nodes[rot] != c->edges[0].from)
        rot++;
    if (rot == n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const cw_cycle_edge *e = &c->edges[i];
        if (e->to != c->edges[(i + 1) % n].from || e->from != nodes[(rot + i) % n])
            return false;
    }
    return true;
}

static cw_node *new_nodes(cw_lock_order *lo, cw_node *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = cw_lock_order_node_new(lo);
    return v;
}

static void test_ABBA(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node n[2], *A = &n[0], *B = &n[1];
    new_nodes(lo, n, 2);
    CHECK(edge(lo, *A, *B) == CW_EDGE_ADDED);
    CHECK(edge(lo, *A, *B) == CW_EDGE_KNOWN);
    CHECK(edge(lo, *B, *A) == CW_EDGE_CYCLE);
    CHECK(cycle_is(&cyc, 2, n));
    CHECK(cyc.edges[0].from == *B && cyc.edges[0].first.from_stack == 100);
    CHECK(edge(lo, *B, *A) == CW_EDGE_KNOWN);
    CHECK(edge(lo, *A, *B) == CW_EDGE_KNOWN);
    CHECK(cw_lock_order_edge_count(lo) == 2 && cw_lock_order_node_count(lo) == 2);
    cw_lock_order_free(lo);
}

static void test_ABBA_gated_then_ungated(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node n[3], A, B, G;
    new_nodes(lo, n, 3);
    A = n[0], B = n[1], G = n[2];
    CHECK(edge_g(lo, A, B, G) == CW_EDGE_ADDED);
    CHECK(edge_g(lo, B, A, G) == CW_EDGE_ADDED);    /* serialized by G */
    CHECK(edge_g(lo, B, A, G) == CW_EDGE_KNOWN);
    /* Later B->A happens without G: the gate no longer protects. */
    CHECK(edge(lo, B, A) == CW_EDGE_CYCLE);
    CHECK(cycle_is(&cyc, 2, n));
    CHECK(edge(lo, B, A) == CW_EDGE_KNOWN);
    cw_lock_order_free(lo);
}

/* The gates an occurrence must lack to change an edge: those still common
   to all its occurrences, once no end is read-only; none left = no
   occurrence can change it any more (the shim then stops asking). */
static void test_edge_gates(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node n[5], A, B, C, G, H, g[2];
    new_nodes(lo, n, 5);
    A = n[0], B = n[1], C = n[2], G = n[3], H = n[4];
    CHECK(cw_lock_order_edge_gates(lo, A, B, g, 2) == -1);   /* no such edge */
    CHECK(edge(lo, A, B) == CW_EDGE_ADDED);
    CHECK(cw_lock_order_edge_gates(lo, A, B, g, 2) == 0);    /* no gate, write/write */
    CHECK(cw_lock_order_edge_gates(lo, B, A, g, 2) == -1);
    cw_node gh[] = { G, H, 0 }, h[] = { H, 0 };
    CHECK(edge_rw(lo, B, W, C, W, gh) == CW_EDGE_ADDED);
    CHECK(cw_lock_order_edge_gates(lo, B, C, g, 1) == -1);   /* two left */
    CHECK(cw_lock_order_edge_gates(lo, B, C, g, 2) == 2 && g[0] == G && g[1] == H);
    CHECK(edge_rw(lo, B, W, C, W, h) == CW_EDGE_ADDED);      /* {G,H} ^ {H} = {H} */
    CHECK(cw_lock_order_edge_gates(lo, B, C, g, 2) == 1 && g[0] == H);
    CHECK(edge_rw(lo, B, W, C, W, gh) == CW_EDGE_KNOWN);     /* holds H: no change */
    CHECK(edge_g(lo, B, C, G) == CW_EDGE_ADDED);             /* lacks H */
    CHECK(cw_lock_order_edge_gates(lo, B, C, g, 2) == 0);
    CHECK(edge_rw(lo, A, R, C, W, NULL) == CW_EDGE_ADDED);
    CHECK(cw_lock_order_edge_gates(lo, A, C, g, 2) == -1);   /* A read-only so far */
    CHECK(edge(lo, A, C) == CW_EDGE_ADDED);
    CHECK(cw_lock_order_edge_gates(lo, A, C, g, 2) == 0);
    cw_lock_order_node_remove(lo, B);
    CHECK(cw_lock_order_edge_gates(lo, A, B, g, 2) == -1 && cw_lock_order_edge_gates(lo, B, C, g, 2) == -1);
    CHECK(cw_lock_order_edge_gates(lo, A, A, g, 2) == -1 && cw_lock_order_edge_gates(NULL, A, C, g, 2) == -1);
    cw_lock_order_free(lo);
}

/* Rule 3 of the brief: the gated path A->B is found first, yet A->C->B->A
   has no common gate. */
static void test_gate_detour(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node n[4], A, B, C, G;
    new_nodes(lo, n, 4);
    A = n[0], B = n[1], C = n[2], G = n[3];
    CHECK(edge_g(lo, A, B, G) == CW_EDGE_ADDED);
    CHECK(edge(lo, A, C) == CW_EDGE_ADDED);
    CHECK(edge(lo, C, B) == CW_EDGE_ADDED);
    CHECK(edge_g(lo, B, A, G) == CW_EDGE_CYCLE);
    cw_node expect[3] = { A, C, B };
    CHECK(cycle_is(&cyc, 3, expect));
    cw_lock_order_free(lo);
}

/* Gates that are no gates: 0, the edge's own ends, repeats. */
static void test_gate_sanitizing(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node n[2];
    new_nodes(lo, n, 2);
    cw_node g1[4] = { n[1], n[0], n[1], 0 }, g2[3] = { n[0], n[1], 0 };
    CHECK(edge_rw(lo, n[0], W, n[1], W, g1) == CW_EDGE_ADDED);
    CHECK(edge_rw(lo, n[1], W, n[0], W, g2) == CW_EDGE_CYCLE);
    cw_lock_order_free(lo);
}

/* Several gates: feasible only when no gate is common to all edges. */
static void test_multi_gates(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node n[6], A, B, C, G, H, K;
    new_nodes(lo, n, 6);
    A = n[0], B = n[1], C = n[2], G = n[3], H = n[4], K = n[5];
    cw_node gh[3] = { G, H, 0 }, hk[3] = { H, K, 0 }, kg[3] = { K, G, 0 };
    CHECK(edge_rw(lo, A, W, B, W, gh) == CW_EDGE_ADDED);
    CHECK(edge_rw(lo, B, W, C, W, hk) == CW_EDGE_ADDED);
    CHECK(edge_rw(lo, C, W, A, W, kg) == CW_EDGE_CYCLE);    /* {G,H}^{H,K}^{K,G} = {} */
    cw_lock_order *lo2 = cw_lock_order_new();
    new_nodes(lo2, n, 6);
    A = n[0], B = n[1], C = n[2], G = n[3], H = n[4], K = n[5];
    cw_node gh2[3] = { G, H, 0 }, hg[3] = { H, G, 0 }, gk2[3] = { G, K, 0 };
    CHECK(edge_rw(lo2, A, W, B, W, gh2) == CW_EDGE_ADDED);
    CHECK(edge_rw(lo2, B, W, C, W, hg) == CW_EDGE_ADDED);
    CHECK(edge_rw(lo2, C, W, A, W, gk2) == CW_EDGE_ADDED); /* G common */
    /* A repeat of A->B under H only drops G from it: now feasible. */
    cw_node h[2] = { H, 0 };
    CHECK(edge_rw(lo2, A, W, B, W, h) == CW_EDGE_CYCLE);
    cw_lock_order_free(lo);
    cw_lock_order_free(lo2);
}

/* rwlock R and mutex M: "R read, then M" and "M, then R read" cannot deadlock
   (readers share R); a writer on either side can.  Both edge orders, so the
   read/read node is once the start and once the end of the search. */
static cw_edge_result rw_pair(cw_lock_order *lo, cw_node Rw, int held, cw_node M, int taken,
                              bool held_first)
{
    if (held_first) {
        CHECK(edge_rw(lo, Rw, held, M, W, NULL) == CW_EDGE_ADDED);
        return edge_rw(lo, M, W, Rw, taken, NULL);
    }
    CHECK(edge_rw(lo, M, W, Rw, taken, NULL) == CW_EDGE_ADDED);
    return edge_rw(lo, Rw, held, M, W, NULL);
}

static void test_read_read(void)
{
    for (int order = 0; order < 2; order++)
        for (int variant = 0; variant < 4; variant++) {
            cw_lock_order *lo = cw_lock_order_new();
            cw_node n[2], Rw, M;
            new_nodes(lo, n, 2);
            Rw = n[0], M = n[1];
            int held = variant == 1 ? W : R, taken = variant == 2 ? W : R;
            cw_edge_result r = rw_pair(lo, Rw, held, M, taken, order == 0);
            if (variant == 0 || variant == 3) {
                CHECK(r == CW_EDGE_ADDED);
                if (variant == 3)   /* later a writer holds R while taking M */
                    CHECK(edge_rw(lo, Rw, W, M, W, NULL) == CW_EDGE_CYCLE);
                else                /* or a writer acquires R under M */
                    CHECK(edge_rw(lo, M, W, Rw, W, NULL) == CW_EDGE_CYCLE);
            } else {
                CHECK(r == CW_EDGE_CYCLE);
                CHECK(cycle_is(&cyc, 2, n));
            }
            cw_lock_order_free(lo);
        }
}

/* Reads elsewhere don't matter: only read-acquired-then-read-held at the
   same node excuses a cycle. */
static void test_read_elsewhere(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node n[3], A, B, C;
    new_nodes(lo, n, 3);
    A = n[0], B = n[1], C = n[2];
    CHECK(edge_rw(lo, A, R, B, W, NULL) == CW_EDGE_ADDED);   /* A held read */
    CHECK(edge_rw(lo, B, W, C, R, NULL) == CW_EDGE_ADDED);   /* C taken read */
    CHECK(edge_rw(lo, C, W, A, W, NULL) == CW_EDGE_CYCLE);   /* A taken write */
    cw_lock_order_free(lo);
}

static void test_philosophers_ring(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node n[5];
    new_nodes(lo, n, 5);
    int cycles = 0;
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 5; i++) {
            cw_edge_result r = edge(lo, n[i], n[(i + 1) % 5]);
            if (r == CW_EDGE_CYCLE) {
                cycles++;
                CHECK(round == 0 && i == 4);
                CHECK(cycle_is(&cyc, 5, n));
            }
            CHECK(round == 0 || r == CW_EDGE_KNOWN);
        }
    CHECK(cycles == 1);
    cw_lock_order_free(lo);
}

/* Rings up to CW_MAX_CYCLE edges are reported; longer ones are not. */
static void test_ring_limit(void)
{
    for (size_t len = CW_MAX_CYCLE; len <= CW_MAX_CYCLE + 1; len++) {
        cw_lock_order *lo = cw_lock_order_new();
        cw_node n[CW_MAX_CYCLE + 1];
        new_nodes(lo, n, len);
        for (size_t i = 0; i + 1 < len; i++)
            CHECK(edge(lo, n[i], n[i + 1]) == CW_EDGE_ADDED);
        cw_edge_result r = edge(lo, n[len - 1], n[0]);
        CHECK(r == (len <= CW_MAX_CYCLE ? CW_EDGE_CYCLE : CW_EDGE_ADDED));
        if (r == CW_EDGE_CYCLE)
            CHECK(cycle_is(&cyc, len, n));
        cw_lock_order_free(lo);
    }
}

/* Same stacks/thread differences alone don't change an edge. */
static void test_repeats_known(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node n[3];
    new_nodes(lo, n, 3);
    cw_node g[2] = { n[2], 0 };
    CHECK(edge_rw(lo, n[0], R, n[1], R, g) == CW_EDGE_ADDED);
    for (int i = 0; i < 10; i++)
        CHECK(edge_rw(lo, n[0], R, n[1], R, g) == CW_EDGE_KNOWN);
    CHECK(edge_rw(lo, n[0], W, n[1], R, g) == CW_EDGE_ADDED);      /* widened */
    CHECK(edge_rw(lo, n[0], R, n[1], R, g) == CW_EDGE_KNOWN);      /* can't narrow */
    CHECK(edge_rw(lo, n[0], W, n[1], W, NULL) == CW_EDGE_ADDED);
    CHECK(edge_rw(lo, n[0], R, n[1], R, g) == CW_EDGE_KNOWN);
    CHECK(cw_lock_order_edge_count(lo) == 1);
    cw_lock_order_free(lo);
}

/* A destroyed lock and its replacement at "the same place": no cycle through
   the dead one. */
static void test_removal(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node A = cw_lock_order_node_new(lo), B = cw_lock_order_node_new(lo);
    CHECK(edge(lo, A, B) == CW_EDGE_ADDED);
    cw_lock_order_node_remove(lo, B);
    CHECK(cw_lock_order_edge_count(lo) == 0 && cw_lock_order_node_count(lo) == 1);
    cw_node B2 = cw_lock_order_node_new(lo);
    CHECK(B2 != B);
    CHECK(edge(lo, B2, A) == CW_EDGE_ADDED);
    CHECK(edge(lo, A, B) == CW_EDGE_KNOWN);         /* stale: ignored */
    CHECK(edge(lo, B, A) == CW_EDGE_KNOWN);
    CHECK(cw_lock_order_edge_count(lo) == 1);
    cw_lock_order_node_remove(lo, B);               /* stale: ignored */
    CHECK(cw_lock_order_node_count(lo) == 2);
    CHECK(edge(lo, A, B2) == CW_EDGE_CYCLE);        /* a real new ABBA */
    cw_lock_order_free(lo);
}

/* Removing a node of a reported cycle, then the remaining nodes forming a
   new cycle through fresh locks (exercises refused-edge promotion). */
static void test_removal_then_new_cycle(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node A = cw_lock_order_node_new(lo), B = cw_lock_order_node_new(lo),
            C = cw_lock_order_node_new(lo);
    CHECK(edge(lo, A, B) == CW_EDGE_ADDED && edge(lo, B, C) == CW_EDGE_ADDED);
    CHECK(edge(lo, C, A) == CW_EDGE_CYCLE);
    cw_lock_order_node_remove(lo, B);
    CHECK(cw_lock_order_edge_count(lo) == 1);       /* C->A remains */
    cw_node D = cw_lock_order_node_new(lo), E = cw_lock_order_node_new(lo);
    CHECK(edge(lo, D, E) == CW_EDGE_ADDED);
    CHECK(edge(lo, A, D) == CW_EDGE_ADDED);
    CHECK(edge(lo, E, C) == CW_EDGE_CYCLE);         /* C->A->D->E->C */
    cw_node expect[4] = { C, A, D, E };
    CHECK(cycle_is(&cyc, 4, expect));
    cw_lock_order_free(lo);
}

/* Widening R->X makes X->Y->Q->P->R->X feasible while X->Y->P->R->X, already
   reported, is the one the breadth-first search meets first (both reach P in
   the same state): the depth-first fallback must still find the new one. */
static void test_second_cycle_same_edge(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node n[6], X, Y, P, Q, Rn, G;
    new_nodes(lo, n, 6);
    X = n[0], Y = n[1], P = n[2], Q = n[3], Rn = n[4], G = n[5];
    CHECK(edge_g(lo, X, Y, G) == CW_EDGE_ADDED);
    CHECK(edge(lo, Y, P) == CW_EDGE_ADDED);
    CHECK(edge_g(lo, P, Rn, G) == CW_EDGE_ADDED);
    CHECK(edge_g(lo, Rn, X, G) == CW_EDGE_CYCLE);   /* Y->P is ungated */
    CHECK(edge_g(lo, Y, Q, G) == CW_EDGE_ADDED);
    CHECK(edge_g(lo, Q, P, G) == CW_EDGE_ADDED);    /* all-G cycle: no */
    CHECK(edge(lo, Rn, X) == CW_EDGE_CYCLE);
    cw_node expect[5] = { X, Y, Q, P, Rn };
    CHECK(cycle_is(&cyc, 5, expect));
    cw_lock_order_free(lo);
}

/* A single thread's inversion is still reported (the order is the bug). */
static void test_single_thread(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node A = cw_lock_order_node_new(lo), B = cw_lock_order_node_new(lo);
    cw_edge_attrs a = { .thread = 7 };
    CHECK(cw_lock_order_add_edge(lo, A, B, &a, &cyc) == CW_EDGE_ADDED);
    CHECK(cw_lock_order_add_edge(lo, B, A, &a, &cyc) == CW_EDGE_CYCLE);
    CHECK(cyc.edges[0].first.thread == 7 && cyc.edges[1].first.thread == 7);
    cw_lock_order_free(lo);
}

static void test_bad_input(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node A = cw_lock_order_node_new(lo), B = cw_lock_order_node_new(lo);
    cw_edge_attrs a = { .ngates = 1000 };           /* more than the array: clamped */
    CHECK(cw_lock_order_add_edge(lo, A, A, &a, &cyc) == CW_EDGE_KNOWN);
    CHECK(cw_lock_order_add_edge(lo, A, 0, &a, &cyc) == CW_EDGE_KNOWN);
    CHECK(cw_lock_order_add_edge(lo, 0, B, &a, &cyc) == CW_EDGE_KNOWN);
    CHECK(cw_lock_order_add_edge(lo, A, B, NULL, &cyc) == CW_EDGE_KNOWN);
    CHECK(cw_lock_order_add_edge(lo, A, B ^ (1ull << 40), &a, &cyc) == CW_EDGE_KNOWN);
    CHECK(cw_lock_order_add_edge(NULL, A, B, &a, &cyc) == CW_EDGE_KNOWN);
    CHECK(cw_lock_order_add_edge(lo, A, B, &a, NULL) == CW_EDGE_ADDED);
    CHECK(cw_lock_order_add_edge(lo, B, A, &a, NULL) == CW_EDGE_CYCLE);   /* out may be NULL */
    cw_lock_order_node_remove(lo, 0);
    cw_lock_order_node_remove(NULL, A);
    CHECK(cw_lock_order_node_new(NULL) == 0);
    CHECK(cw_lock_order_edge_count(lo) == 2);
    cw_lock_order_free(lo);
    cw_lock_order_free(NULL);
}

/* A million short-lived locks, each taken under a long-lived one and before
   another, while a gated inversion elsewhere keeps a refused edge around:
   slots are reused, no cycle appears. */
static void test_churn(void)
{
    cw_lock_order *lo = cw_lock_order_new();
    cw_node A = cw_lock_order_node_new(lo), B = cw_lock_order_node_new(lo),
            C = cw_lock_order_node_new(lo), D = cw_lock_order_node_new(lo),
            G = cw_lock_order_node_new(lo);
    CHECK(edge_g(lo, C, D, G) == CW_EDGE_ADDED);
    CHECK(edge_g(lo, D, C, G) == CW_EDGE_ADDED);
    uint32_t max_index = 0;
    for (int i = 0; i < 1000000; i++) {
        cw_node m = cw_lock_order_node_new(lo);
        if (cw_lock_graph_node_index(m) > max_index)
            max_index = cw_lock_graph_node_index(m);
        CHECK(edge(lo, A, m) == CW_EDGE_ADDED);
        CHECK(edge(lo, m, B) == CW_EDGE_ADDED);
        cw_lock_order_node_remove(lo, m);
    }
    CHECK(max_index == 5);
    CHECK(cw_lock_order_edge_count(lo) == 2 && cw_lock_order_node_count(lo) == 5);
    CHECK(edge(lo, B, A) == CW_EDGE_ADDED);          /* A->m->B is gone */
    cw_lock_order_free(lo);
}

int main(void)
{
    test_ABBA();
    test_ABBA_gated_then_ungated();
    test_edge_gates();
    test_gate_detour();
    test_gate_sanitizing();
    test_multi_gates();
    test_read_read();
    test_read_elsewhere();
    test_philosophers_ring();
    test_ring_limit();
    test_repeats_known();
    test_removal();
    test_removal_then_new_cycle();
    test_second_cycle_same_edge();
    test_single_thread();
    test_bad_input();
    test_churn();
    if (failures) {
        fprintf(stderr, "test_lock_order: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_lock_order: ok\n");
    return 0;
}

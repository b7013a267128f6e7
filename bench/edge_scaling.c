/*
 * edge_scaling N: the cost of a NEW lock-order edge as the graph grows, through
 * the whole shim path (interception, lock table, node creation, edge caches,
 * graph insert), not just the analysis layer (tests/unit/bench_lock_graph.c).
 *
 * Makes N live heap mutexes in four "levels" of N/4 (think: subsystem locks,
 * object locks, ...) and takes N nested pairs, each from one level to a deeper
 * one, chosen at random (fixed seed): N edges (nearly all distinct) over N
 * locks.  The locks first take part in nesting in random order, so most new
 * edges disagree with the order the graph has so far and make it re-rank (the
 * "hierarchy" shape of bench_lock_graph).  Then the same pairs again, now known
 * edges.  Prints one line:
 *   locks=N pairs=N init_ns=... new_ns=... known_ns=...
 * with the wall time per mutex init, per pair the first time (a new edge) and
 * per pair the second time (the edge is known), in ns.  Run natively and under
 * concwatch: concwatch's new_ns minus the native new_ns is its cost per new edge.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)((rng >> 11) % n);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1000;
    if (n < 8) {
        fprintf(stderr, "edge_scaling: N must be at least 8\n");
        return 2;
    }
    uint32_t q = n / 4;
    pthread_mutex_t *m = malloc((size_t)n * sizeof *m);
    uint32_t (*pair)[2] = malloc((size_t)n * sizeof *pair);
    if (!m || !pair) {
        fprintf(stderr, "edge_scaling: out of memory\n");
        return 1;
    }
    for (uint32_t k = 0; k < n; k++) {   /* level la -> deeper level lb */
        uint32_t la = rnd(3), lb = la + 1 + rnd(3 - la);
        pair[k][0] = la * q + rnd(q);
        pair[k][1] = lb * q + rnd(q);
    }

    double t0 = now_ns();
    for (uint32_t i = 0; i < n; i++)
        pthread_mutex_init(&m[i], NULL);
    double t1 = now_ns();
    for (uint32_t k = 0; k < n; k++) {
        pthread_mutex_lock(&m[pair[k][0]]);
        pthread_mutex_lock(&m[pair[k][1]]);
        pthread_mutex_unlock(&m[pair[k][1]]);
        pthread_mutex_unlock(&m[pair[k][0]]);
    }
    double t2 = now_ns();
    for (uint32_t k = 0; k < n; k++) {
        pthread_mutex_lock(&m[pair[k][0]]);
        pthread_mutex_lock(&m[pair[k][1]]);
        pthread_mutex_unlock(&m[pair[k][1]]);
        pthread_mutex_unlock(&m[pair[k][0]]);
    }
    double t3 = now_ns();

    printf("locks=%u pairs=%u init_ns=%.1f new_ns=%.1f known_ns=%.1f\n", n, n, (t1 - t0) / n,
           (t2 - t1) / n, (t3 - t2) / n);
    for (uint32_t i = 0; i < n; i++)
        pthread_mutex_destroy(&m[i]);
    free(pair);
    free(m);
    return 0;
}

/*
 * Proves the known-edges table (detector/events/known_edges.c): nothing is
 * known before a note; a note is found with its gate (0: none); a newer note
 * of the same edge replaces the older (the gate went); edges are told apart
 * by both ends and their direction; thousands of notes mostly stay findable
 * (it is a cache: a note may be pushed out, never confused with another);
 * readers racing a writer never see one edge's gate under another's key.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "events/known_edges.h"

static void test_put_get(void)
{
    uint64_t gate = 99;
    CHECK(!cw_known_edge_get(1, 2, &gate) && gate == 99);   /* nothing mapped yet */
    cw_known_edge_put(1, 2, 7);
    CHECK(cw_known_edge_get(1, 2, &gate) && gate == 7);
    CHECK(!cw_known_edge_get(2, 1, &gate));                  /* the other direction */
    CHECK(!cw_known_edge_get(1, 3, &gate));
    cw_known_edge_put(1, 2, 0);                               /* its gate went */
    CHECK(cw_known_edge_get(1, 2, &gate) && gate == 0);
}

static void test_many(void)
{
    enum { N = 20000 };
    for (uint64_t i = 0; i < N; i++)
        cw_known_edge_put(1000 + i, 5000000 + i * 3, i % 5 ? 0 : i);
    int found = 0, wrong = 0;
    for (uint64_t i = 0; i < N; i++) {
        uint64_t gate;
        if (cw_known_edge_get(1000 + i, 5000000 + i * 3, &gate)) {
            found++;
            wrong += gate != (i % 5 ? 0 : i);
        }
    }
    CHECK(wrong == 0);
    CHECK(found > N * 9 / 10);   /* 20000 notes in 65536 places, sets of four */
}

/* One writer flips two edges' notes between their own gates; readers must
 * only ever see an edge with a gate that edge had. */
static atomic_int stop;
static atomic_int bad;

static void *reader(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        uint64_t gate;
        if (cw_known_edge_get(11, 12, &gate) && gate != 0 && gate != 111)
            atomic_fetch_add(&bad, 1);
        if (cw_known_edge_get(21, 22, &gate) && gate != 0 && gate != 222)
            atomic_fetch_add(&bad, 1);
    }
    return NULL;
}

static void test_torn_reads(void)
{
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, reader, NULL);
    for (int k = 0; k < 200000; k++) {
        cw_known_edge_put(11, 12, k % 2 ? 111 : 0);
        cw_known_edge_put(21, 22, k % 2 ? 222 : 0);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    CHECK(atomic_load(&bad) == 0);
}

int main(void)
{
    test_put_get();
    test_many();
    test_torn_reads();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}

// counter_race.c - a shared counter incremented without a lock: a data race.
//
// The first bug of every threading tutorial: two threads count hits in one
// global variable with `hits++`, which is a read, an add and a write.  Nothing
// orders the two threads' accesses (they start together and only main's joins
// come after), so increments are lost and the final count is usually below
// 20,000,000.  The program still exits 0.  It is one bug: one unprotected
// variable, updated at one line.
//
// Correct twin: counter_locked.c.
//
// concwatch-expect: data-race=1

#include <pthread.h>
#include <stdio.h>

#define HITS 10000000

static long hits;
static pthread_barrier_t start_together;

static void record_hit(void)
{
    hits++; /* BUG: unsynchronized read-modify-write */
}

static void *web_worker(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start_together);
    for (int i = 0; i < HITS; i++)
        record_hit();
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;

    pthread_barrier_init(&start_together, NULL, 2);
    if (pthread_create(&t1, NULL, web_worker, NULL) != 0)
        return 1;
    if (pthread_create(&t2, NULL, web_worker, NULL) != 0)
        return 1;
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    pthread_barrier_destroy(&start_together);

    printf("hits: %ld of %d\n", hits, 2 * HITS);
    return 0;
}

// counter_locked.c - the shared counter under a mutex: correct twin of
// counter_race.c.
//
// The same two threads count hits in one global variable, but record_hit()
// increments it while holding `hits_lock`.  Every access is ordered by the
// mutex, no increment is lost, and the final count is exactly 2 * HITS.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

#define HITS 200000

static long hits;
static pthread_mutex_t hits_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start_together;

static void record_hit(void)
{
    pthread_mutex_lock(&hits_lock);
    hits++;
    pthread_mutex_unlock(&hits_lock);
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
    return hits == 2 * HITS ? 0 : 1;
}

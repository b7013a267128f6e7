// heap_stats_locked.c - the correct twin of heap_stats_race.c: the
// statistics block carries its own mutex, taken around every update.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct stats {
    pthread_mutex_t lock;
    long requests;
    long bytes;
};

static struct stats *stats;

static void count_request(long bytes)
{
    pthread_mutex_lock(&stats->lock);
    stats->requests++;
    stats->bytes += bytes;
    pthread_mutex_unlock(&stats->lock);
}

static void *worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < 500000; i++)
        count_request(100);
    return NULL;
}

int main(void)
{
    stats = calloc(1, sizeof *stats);
    if (!stats)
        return 1;
    pthread_mutex_init(&stats->lock, NULL);
    pthread_t a, b;
    if (pthread_create(&a, NULL, worker, NULL) != 0 || pthread_create(&b, NULL, worker, NULL) != 0)
        return 1;
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("requests: %ld\n", stats->requests);
    pthread_mutex_destroy(&stats->lock);
    free(stats);
    return 0;
}

// heap_stats_race.c - two threads count requests in a statistics block on
// the heap, reached through a global pointer, without a lock.
//
// `stats` points to a malloc'd `struct stats`; both workers do
// `stats->requests++` 5 million times each.  The count ends short of 10
// million.  The racing variable is not a global but the heap block a global
// points to.
//
// Correct twin: heap_stats_locked.c.
//
// concwatch-expect: data-race=1
// concwatch-expect-text: heap block
// concwatch-expect-text: #0 count_request [^ ]*heap_stats_race\.c:(@line(count)|@line(bytes))\b

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct stats {
    long requests;
    long bytes;
};

static struct stats *stats;

static void count_request(long bytes)
{
    stats->requests++; /* @count */  /* BUG: both workers, no lock */
    stats->bytes += bytes; /* @bytes */
}

static void *worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < 5000000; i++)
        count_request(100);
    return NULL;
}

int main(void)
{
    stats = calloc(1, sizeof *stats);
    pthread_t a, b;
    if (!stats || pthread_create(&a, NULL, worker, NULL) != 0 || pthread_create(&b, NULL, worker, NULL) != 0)
        return 1;
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("requests: %ld (10000000 if none was lost)\n", stats->requests);
    free(stats);
    return 0;
}

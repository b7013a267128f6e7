// ordered_pairs: 4 threads share 8 mutexes; each iteration takes two of them,
// always the lower-numbered first (a consistent order: no cycle), for TOTAL pairs
// in all (default 2 000 000, split evenly).  Contended, and the same 28 lock-order
// edges are seen again and again: measures the cost of re-recording known edges.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NTHREADS 4
#define NLOCKS 8

static pthread_mutex_t locks[NLOCKS];
static unsigned long counts[NLOCKS];
static long per_thread;

static void *worker(void *arg)
{
    unsigned seed = (unsigned)(unsigned long)arg * 2654435761u + 1;
    for (long i = 0; i < per_thread; i++) {
        seed = seed * 1103515245u + 12345u;
        int a = (seed >> 8) % NLOCKS;
        int b = (seed >> 16) % (NLOCKS - 1);
        if (b >= a)
            b++;
        int first = a < b ? a : b, second = a < b ? b : a;
        pthread_mutex_lock(&locks[first]);
        pthread_mutex_lock(&locks[second]);
        counts[first]++;
        counts[second]++;
        pthread_mutex_unlock(&locks[second]);
        pthread_mutex_unlock(&locks[first]);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long total = argc > 1 ? atol(argv[1]) : 2000000L;
    per_thread = total / NTHREADS;
    for (int i = 0; i < NLOCKS; i++)
        pthread_mutex_init(&locks[i], NULL);

    pthread_t threads[NTHREADS];
    for (long t = 0; t < NTHREADS; t++)
        if (pthread_create(&threads[t], NULL, worker, (void *)t) != 0) {
            perror("pthread_create");
            return 1;
        }
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(threads[t], NULL);

    unsigned long sum = 0;
    for (int i = 0; i < NLOCKS; i++) {
        sum += counts[i];
        pthread_mutex_destroy(&locks[i]);
    }
    if (sum != 2UL * per_thread * NTHREADS) {
        fprintf(stderr, "ordered_pairs: %lu increments, expected %lu\n", sum,
                2UL * per_thread * NTHREADS);
        return 1;
    }
    return 0;
}

// many_threads: start THREADS threads (default 1000), all alive at once, each
// taking three of 16 shared mutexes nested in ascending order a few times, then
// join them all.  Measures per-thread setup/teardown cost in the shim (thread
// records, stacks, TLS) rather than per-lock cost.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NLOCKS 16
#define ROUNDS 4

static pthread_mutex_t locks[NLOCKS];
static unsigned long taken[NLOCKS];

static void *worker(void *arg)
{
    unsigned base = (unsigned)(unsigned long)arg;
    for (int r = 0; r < ROUNDS; r++) {
        int a = (base + r) % (NLOCKS - 2);  // a < b < c: ascending order
        int b = a + 1, c = a + 2;
        pthread_mutex_lock(&locks[a]);
        pthread_mutex_lock(&locks[b]);
        pthread_mutex_lock(&locks[c]);
        taken[a]++;
        taken[b]++;
        taken[c]++;
        pthread_mutex_unlock(&locks[c]);
        pthread_mutex_unlock(&locks[b]);
        pthread_mutex_unlock(&locks[a]);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long nthreads = argc > 1 ? atol(argv[1]) : 1000L;
    pthread_t *threads = calloc(nthreads, sizeof *threads);
    if (!threads) {
        perror("calloc");
        return 1;
    }
    for (int i = 0; i < NLOCKS; i++)
        pthread_mutex_init(&locks[i], NULL);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);  // 1000 default 8 MiB stacks is a lot of VM
    for (long t = 0; t < nthreads; t++) {
        int err = pthread_create(&threads[t], &attr, worker, (void *)t);
        if (err != 0) {
            fprintf(stderr, "many_threads: pthread_create #%ld failed (%d)\n", t, err);
            return 1;
        }
    }
    pthread_attr_destroy(&attr);
    for (long t = 0; t < nthreads; t++)
        pthread_join(threads[t], NULL);

    unsigned long sum = 0;
    for (int i = 0; i < NLOCKS; i++)
        sum += taken[i];
    free(threads);
    if (sum != 3UL * ROUNDS * nthreads) {
        fprintf(stderr, "many_threads: %lu acquisitions, expected %lu\n", sum,
                3UL * ROUNDS * nthreads);
        return 1;
    }
    return 0;
}

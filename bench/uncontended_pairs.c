// uncontended_pairs: one thread, one mutex, COUNT lock/unlock pairs (default 10 000 000).
// Measures the per-call cost of the interception fast path: nothing is contended,
// nothing new is learned after the first pair.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile unsigned long counter;

int main(int argc, char **argv)
{
    long count = argc > 1 ? atol(argv[1]) : 10000000L;
    for (long i = 0; i < count; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    if (counter != (unsigned long)count) {
        fprintf(stderr, "uncontended_pairs: counter %lu != %ld\n", counter, count);
        return 1;
    }
    return 0;
}

// thread_churn.c - ten thousand short-lived threads: correct.
//
// A server that starts a thread per request: 100 rounds of 100 threads, each
// taking two mutexes in one global order to update a counter, then ending;
// main joins each round before the next.  Nothing here is a bug.  A detector
// must keep up with threads that come and go faster than it can look at them
// (thread slots reused, watchpoints asked for threads that are already
// exiting) without reporting anything or giving up.
//
// Usage: thread_churn [ROUNDS]   (default 100)
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define PER_ROUND 100

static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER, stats = PTHREAD_MUTEX_INITIALIZER;
static long served;

static void *serve_request(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&registry);
    pthread_mutex_lock(&stats);
    served++;
    pthread_mutex_unlock(&stats);
    pthread_mutex_unlock(&registry);
    return NULL;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 100;
    pthread_t t[PER_ROUND];

    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < PER_ROUND; i++)
            if (pthread_create(&t[i], NULL, serve_request, NULL) != 0)
                return 1;
        for (int i = 0; i < PER_ROUND; i++)
            pthread_join(t[i], NULL);
    }
    printf("served %ld requests in %ld threads\n", served, rounds * PER_ROUND);
    return served == rounds * PER_ROUND ? 0 : 1;
}

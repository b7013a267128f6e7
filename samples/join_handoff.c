// join_handoff.c - a result handed from a worker to main through pthread_join:
// correct.
//
// A worker thread sums the numbers 1..N into the global `total`, with no lock,
// and returns.  main reads `total` only after pthread_join() has returned for
// that worker: the end of a thread happens-before the return of its join, so
// every write of the worker is ordered before main's read.  There is no race,
// no lock is needed, and the program always prints N*(N+1)/2.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

#define N 100000L

static long total;

static void add_up(long n)
{
    for (long i = 1; i <= n; i++)
        total += i; /* only the worker writes, before main joins */
}

static void *sum_worker(void *arg)
{
    (void)arg;
    add_up(N);
    return NULL;
}

int main(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, sum_worker, NULL) != 0)
        return 1;
    pthread_join(t, NULL); /* the hand-off: the worker has ended */
    printf("total: %ld (want %ld)\n", total, N * (N + 1) / 2);
    return total == N * (N + 1) / 2 ? 0 : 1;
}

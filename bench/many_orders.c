// many_orders: LOCKS mutexes (default 48) taken in many orders, about OPS
// lock operations in all (default 2000): THREADS threads (default 4), one
// after the other (so the run itself never deadlocks), each nesting two or
// three random locks at a time in a random order.  The lock-order graph gets
// hundreds of edges, most of the locks end up in one tangle of inverted
// orders, and the number of distinct cycles among them is astronomical: the
// test of how a report of many cycles stays readable and cheap.
//
//   many_orders [OPS [LOCKS [THREADS]]]
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t *locks;
static int nlocks, ops_per_thread;

static unsigned next_random(unsigned *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

static void *worker(void *arg)
{
    unsigned state = (unsigned)(uintptr_t)arg * 2654435761u + 1;
    for (int done = 0; done < ops_per_thread;) {
        int depth = 2 + (int)(next_random(&state) % 2), taken[3];
        for (int i = 0; i < depth; i++) {
            int again;
            do {
                taken[i] = (int)(next_random(&state) % (unsigned)nlocks);
                again = 0;
                for (int j = 0; j < i; j++)
                    again |= taken[j] == taken[i];
            } while (again);
            pthread_mutex_lock(&locks[taken[i]]);
        }
        for (int i = depth - 1; i >= 0; i--)
            pthread_mutex_unlock(&locks[taken[i]]);
        done += depth;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int ops = argc > 1 ? atoi(argv[1]) : 2000;
    nlocks = argc > 2 ? atoi(argv[2]) : 48;
    int nthreads = argc > 3 ? atoi(argv[3]) : 4;
    if (ops < 1 || nlocks < 3 || nthreads < 1)
        return 2;
    ops_per_thread = ops / nthreads;
    locks = calloc((size_t)nlocks, sizeof *locks);
    if (!locks)
        return 1;
    for (int i = 0; i < nlocks; i++)
        pthread_mutex_init(&locks[i], NULL);
    for (int i = 0; i < nthreads; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, (void *)(uintptr_t)(i + 1)) != 0)
            return 1;
        pthread_join(t, NULL);
    }
    printf("%d lock operations on %d locks by %d threads\n", ops, nlocks, nthreads);
    return 0;
}

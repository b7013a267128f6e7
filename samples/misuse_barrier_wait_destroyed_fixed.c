// misuse_barrier_wait_destroyed_fixed.c - the barrier is initialised again
// before the second run: correct twin of misuse_barrier_wait_destroyed.c.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

static pthread_barrier_t phase;

static void *worker(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&phase);
    return NULL;
}

static void run(void)
{
    pthread_t a, b;
    pthread_barrier_init(&phase, NULL, 2);
    pthread_create(&a, NULL, worker, NULL);
    pthread_create(&b, NULL, worker, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    pthread_barrier_destroy(&phase);
}

int main(void)
{
    run();
    run();
    puts("done");
    return 0;
}

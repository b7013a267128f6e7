// misuse_barrier_init_twice_fixed.c - each batch destroys the barrier it
// initialised: correct twin of misuse_barrier_init_twice.c.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

#define WORKERS 3

static pthread_barrier_t batch_done;
static int results[WORKERS];

static void *worker(void *arg)
{
    int *slot = arg;
    *slot += 1;
    pthread_barrier_wait(&batch_done);
    return NULL;
}

static void run_batch(void)
{
    pthread_t t[WORKERS];
    pthread_barrier_init(&batch_done, NULL, WORKERS + 1);
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, worker, &results[i]);
    pthread_barrier_wait(&batch_done);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&batch_done);
}

int main(void)
{
    run_batch();
    run_batch();
    printf("%d %d %d\n", results[0], results[1], results[2]);
    return 0;
}

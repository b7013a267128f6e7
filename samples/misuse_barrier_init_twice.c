// misuse_barrier_init_twice.c - a barrier initialised twice.
//
// run_batch() starts a batch of workers that meet at the global barrier
// `batch_done`, and initialises that barrier at its start -- every time it is
// called.  main runs two batches, so the barrier is initialised a second time
// without having been destroyed in between.  POSIX makes initialising an
// already initialised barrier undefined (glibc just resets it, which breaks a
// barrier still in use).  The first batch has fully left the barrier when
// the second begins, so this run works: the re-initialisation is the bug.
// One misuse: the second init.
//
// Correct twin: misuse_barrier_init_twice_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: initialises barrier M1, which is already initialised
// concwatch-expect-text: misuse_barrier_init_twice\.c:@line(init)\b

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
    pthread_barrier_init(&batch_done, NULL, WORKERS + 1); /* @init */
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, worker, &results[i]);
    pthread_barrier_wait(&batch_done);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
}

int main(void)
{
    run_batch();
    run_batch();
    printf("%d %d %d\n", results[0], results[1], results[2]);
    return 0;
}

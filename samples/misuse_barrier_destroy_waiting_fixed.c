// misuse_barrier_destroy_waiting_fixed.c - the stage that has no input still
// meets the other at the barrier, and the barrier is destroyed once both have
// gone: correct twin of misuse_barrier_destroy_waiting.c.
//
// concwatch-expect: clean

#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static pthread_barrier_t step;

static void *first_stage(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&step);
    return NULL;
}

static void *second_stage(void *arg)
{
    int have_input = *(int *)arg;
    pthread_barrier_wait(&step);   /* even with nothing to do: the other stage waits for it */
    if (have_input)
        puts("working");
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    int have_input = 0;
    pthread_barrier_init(&step, NULL, 2);
    if (pthread_create(&a, NULL, first_stage, NULL) != 0)
        return 1;
    if (pthread_create(&b, NULL, second_stage, &have_input) != 0)
        return 1;
    pthread_join(b, NULL);
    pthread_join(a, NULL);
    pthread_barrier_destroy(&step);   /* nobody is in it any more */
    puts("done");
    return 0;
}

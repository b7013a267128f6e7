// misuse_sem_init_in_use_fixed.c - the semaphore is initialised once, before
// anyone waits on it, and the batch only posts: correct twin of
// misuse_sem_init_in_use.c.
//
// concwatch-expect: clean

#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static sem_t work_ready;
static atomic_int worker_tid;

static void *worker(void *arg)
{
    (void)arg;
    atomic_store(&worker_tid, gettid());
    sem_wait(&work_ready);
    puts("working");
    return NULL;
}

int main(void)
{
    pthread_t t;
    sem_init(&work_ready, 0, 0);
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    while (!atomic_load(&worker_tid))
        usleep(1000);
    sem_post(&work_ready);
    pthread_join(t, NULL);
    sem_destroy(&work_ready);
    sem_init(&work_ready, 0, 0);   /* nobody waits on it: a new semaphore for the next batch */
    sem_destroy(&work_ready);
    return 0;
}

// misuse_sem_destroy_waiting_fixed.c - shutdown posts a last item, waits for
// the consumer, then destroys the semaphore: correct twin of
// misuse_sem_destroy_waiting.c.
//
// concwatch-expect: clean

#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static sem_t items;
static atomic_int consumer_tid;

static void *consumer(void *arg)
{
    (void)arg;
    atomic_store(&consumer_tid, gettid());
    sem_wait(&items);
    puts("got an item");
    return NULL;
}

int main(void)
{
    pthread_t t;
    sem_init(&items, 0, 0);
    if (pthread_create(&t, NULL, consumer, NULL) != 0)
        return 1;
    while (!atomic_load(&consumer_tid))
        usleep(1000);
    sem_post(&items);   /* the "stop" item */
    pthread_join(t, NULL);
    sem_destroy(&items);
    return 0;
}

// semaphore_buffer_handoff.c - a buffer filled by one thread before
// sem_post and read by another after sem_wait, 1000 rounds: correct (the
// post happens before the wait's return), so there is no race.
//
// The producer fills `buffer` then posts `full`; the consumer waits on
// `full`, sums the buffer, then posts `empty`, which the producer waits for
// before filling it again.
//
// concwatch-expect: clean

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

#define ROUNDS 1000
#define LEN 64

static int buffer[LEN];
static sem_t full, empty;
static long total;

static void *producer(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        sem_wait(&empty);
        for (int i = 0; i < LEN; i++)
            buffer[i] = r + i;
        sem_post(&full);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        sem_wait(&full);
        for (int i = 0; i < LEN; i++)
            total += buffer[i];
        sem_post(&empty);
    }
    return NULL;
}

int main(void)
{
    sem_init(&full, 0, 0);
    sem_init(&empty, 0, 1);
    pthread_t p, c;
    if (pthread_create(&p, NULL, producer, NULL) != 0 || pthread_create(&c, NULL, consumer, NULL) != 0)
        return 1;
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    printf("total: %ld\n", total);
    return 0;
}

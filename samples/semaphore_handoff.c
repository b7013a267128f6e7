// semaphore_handoff.c - a mailbox handed back and forth through two
// semaphores: correct.
//
// A producer fills the global `mailbox` with no lock and posts `full`; the
// consumer waits on `full` (with sem_clockwait and a generous deadline, as a
// consumer that must not wait forever would), reads the mailbox, and posts
// `empty`, which the producer waits on before it writes again.  Each sem_post
// happens-before the wait it releases, timed or not, so every write of the
// mailbox is ordered before the reads of it and those reads before the next
// write: the two threads never touch it at the same time.  There is no race
// and the consumer sees every message, in order.
//
// concwatch-expect: clean

#define _GNU_SOURCE /* sem_clockwait */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

#define MESSAGES 10000L

static struct {
    long seq;
    long value;
} mailbox;
static sem_t full, empty;
static long received_sum;

static void *producer(void *arg)
{
    (void)arg;
    for (long i = 1; i <= MESSAGES; i++) {
        sem_wait(&empty);
        mailbox.seq = i;
        mailbox.value = 2 * i;
        sem_post(&full);
    }
    return NULL;
}

/* Waits for the next message; gives up after a minute (never, in this program). */
static int wait_for_message(void)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += 60;
    return sem_clockwait(&full, CLOCK_MONOTONIC, &deadline);
}

static void *consumer(void *arg)
{
    long *out_of_order = arg;
    for (long i = 1; i <= MESSAGES; i++) {
        if (wait_for_message() != 0)
            return NULL;
        if (mailbox.seq != i)
            ++*out_of_order;
        received_sum += mailbox.value;
        sem_post(&empty);
    }
    return NULL;
}

int main(void)
{
    pthread_t p, c;
    long out_of_order = 0;

    sem_init(&full, 0, 0);
    sem_init(&empty, 0, 1);
    if (pthread_create(&c, NULL, consumer, &out_of_order) != 0)
        return 1;
    if (pthread_create(&p, NULL, producer, NULL) != 0)
        return 1;
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    sem_destroy(&full);
    sem_destroy(&empty);

    printf("received %ld messages, sum %ld (expected %ld), %ld out of order\n", MESSAGES, received_sum,
           MESSAGES * (MESSAGES + 1), out_of_order);
    return received_sum == MESSAGES * (MESSAGES + 1) && out_of_order == 0 ? 0 : 1;
}

// semaphore_lost_post.c - a producer posts its semaphore one time too few:
// the consumer waits forever for an item that was never announced.
//
// The counting-semaphore producer/consumer: the semaphore `items` (starting
// at 0) counts the orders in the queue; the producer pushes an order and posts
// `items`, the consumer waits on `items` and pops one.  The producer pushes
// five orders, but the last one, pushed after the loop as the "end of day"
// order, is never posted.  The consumer takes the four announced orders and
// then waits for the fifth forever (it is in the queue, but the count says 0),
// and main waits forever in pthread_join() for the consumer.  No lock is held
// by anyone: there is no lock cycle, only a wait nobody will ever end.
//
// Natively the program hangs: never run it without concwatch.  Under concwatch
// the hang must be reported (one deadlock) and the program ended (exit 66).
//
// concwatch-expect: deadlock=1
// concwatch-expect-text: semaphore_lost_post\.c:@line(wait)\b
// concwatch-expect-text: \bconsumer\b

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

#define ORDERS 5

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static int queue[ORDERS];
static int head, tail;
static sem_t items; /* how many orders are in the queue, announced */

static void push(int order)
{
    pthread_mutex_lock(&queue_lock);
    queue[tail++] = order;
    pthread_mutex_unlock(&queue_lock);
}

static int pop(void)
{
    pthread_mutex_lock(&queue_lock);
    int order = queue[head++];
    pthread_mutex_unlock(&queue_lock);
    return order;
}

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ORDERS - 1; i++) {
        push(100 + i);
        sem_post(&items);
    }
    push(100 + ORDERS - 1); /* BUG: the end-of-day order is never posted */
    return NULL;
}

static void *consumer(void *arg)
{
    int *total = arg;

    for (int i = 0; i < ORDERS; i++) {
        sem_wait(&items); /* @wait */ /* the fifth wait never ends */
        *total += pop();
    }
    return NULL;
}

int main(void)
{
    pthread_t prod, cons;
    int total = 0;

    sem_init(&items, 0, 0);
    if (pthread_create(&prod, NULL, producer, NULL) != 0)
        return 1;
    if (pthread_create(&cons, NULL, consumer, &total) != 0)
        return 1;
    pthread_join(prod, NULL);
    pthread_join(cons, NULL);
    sem_destroy(&items);

    printf("total: %d\n", total);
    return 0;
}

// cond_lost_wakeup_fixed.c - the condition variable waited on in a predicate
// loop: correct twin of cond_lost_wakeup.c.
//
// Same order of events: the producer publishes the order and signals before the
// consumer exists.  The consumer waits only `while (!ready)`: the state lives
// in `ready` (protected by the mutex), not in the signal, so a signal sent
// earlier is not needed and the consumer does not wait at all.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t order_ready = PTHREAD_COND_INITIALIZER;
static int ready;
static int order;

static void *producer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    order = 42;
    ready = 1;
    pthread_cond_signal(&order_ready);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *consumer(void *arg)
{
    int *got = arg;

    pthread_mutex_lock(&lock);
    while (!ready)
        pthread_cond_wait(&order_ready, &lock);
    *got = order;
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t t;
    int got = 0;

    if (pthread_create(&t, NULL, producer, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    if (pthread_create(&t, NULL, consumer, &got) != 0)
        return 1;
    pthread_join(t, NULL);

    printf("order: %d\n", got);
    return got == 42 ? 0 : 1;
}

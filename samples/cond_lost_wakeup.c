// cond_lost_wakeup.c - a condition variable waited on without its predicate:
// the wake-up is lost and the waiter hangs.
//
// The Python tutorial bug `with cond: cond.wait()` with no `while not ready`:
// a condition variable has no memory, a signal sent while nobody waits is
// gone.  Here the producer publishes the order and signals before the consumer
// exists (producer created and joined first), then the consumer waits without
// checking `ready`.  No thread will ever signal again: the consumer waits
// forever and main waits forever in pthread_join().
//
// Natively the program hangs: never run it without concwatch.  Under concwatch
// the hang must be reported (one deadlock) and the program ended (exit 66).
// Correct twin: cond_lost_wakeup_fixed.c.
//
// concwatch-expect: deadlock=1

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
    pthread_cond_signal(&order_ready); /* nobody waits yet: the signal is lost */
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *consumer(void *arg)
{
    int *got = arg;

    pthread_mutex_lock(&lock);
    pthread_cond_wait(&order_ready, &lock); /* BUG: should be `while (!ready)` */
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
    return 0;
}

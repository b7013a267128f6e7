// producer_consumer_cond.c - a bounded buffer with a mutex and two condition
// variables: correct.
//
// One producer puts 5000 numbered items into a 16-slot ring buffer; one
// consumer takes them out and adds them up.  The producer waits on `not_full`
// while the buffer is full, the consumer on `not_empty` while it is empty; each
// waits in a `while` loop that re-checks the condition, so neither spurious
// wake-ups nor a signal sent before the wait can lose an item.
// pthread_cond_wait() releases the mutex while waiting and takes it back before
// returning: no lock is held across a wait.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

#define SLOTS 16
#define ITEMS 5000

struct ring {
    pthread_mutex_t lock;
    pthread_cond_t not_full;
    pthread_cond_t not_empty;
    int item[SLOTS];
    int head, count;
};

static struct ring buf = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .not_full = PTHREAD_COND_INITIALIZER,
    .not_empty = PTHREAD_COND_INITIALIZER,
};

static void put(struct ring *r, int value)
{
    pthread_mutex_lock(&r->lock);
    while (r->count == SLOTS)
        pthread_cond_wait(&r->not_full, &r->lock);
    r->item[(r->head + r->count) % SLOTS] = value;
    r->count++;
    pthread_cond_signal(&r->not_empty);
    pthread_mutex_unlock(&r->lock);
}

static int get(struct ring *r)
{
    pthread_mutex_lock(&r->lock);
    while (r->count == 0)
        pthread_cond_wait(&r->not_empty, &r->lock);
    int value = r->item[r->head];
    r->head = (r->head + 1) % SLOTS;
    r->count--;
    pthread_cond_signal(&r->not_full);
    pthread_mutex_unlock(&r->lock);
    return value;
}

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= ITEMS; i++)
        put(&buf, i);
    return NULL;
}

static void *consumer(void *arg)
{
    long *sum = arg;
    for (int i = 0; i < ITEMS; i++)
        *sum += get(&buf);
    return NULL;
}

int main(void)
{
    pthread_t p, c;
    long sum = 0;

    if (pthread_create(&c, NULL, consumer, &sum) != 0)
        return 1;
    if (pthread_create(&p, NULL, producer, NULL) != 0)
        return 1;
    pthread_join(p, NULL);
    pthread_join(c, NULL);

    printf("sum: %ld\n", sum);
    return sum == (long)ITEMS * (ITEMS + 1) / 2 ? 0 : 1;
}

// semaphore_wait_twice.c - one thread waits twice on a binary semaphore that
// another thread posts: correct.
//
// This is how CPython builds Condition.wait(): the waiter makes a fresh lock
// (a binary semaphore), acquires it, publishes it, and acquires it a second
// time, which blocks until the notifier releases it from another thread.  A
// semaphore has no owner: the second wait is not a self-deadlock, because the
// notifier thread can (and does) post it.  Here main is the waiter and a
// worker, started after the first wait, is the notifier.
//
// concwatch-expect: clean

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static sem_t waiter;
static int result;

static void *notifier(void *arg)
{
    (void)arg;
    result = 42;
    sem_post(&waiter); /* "notify": releases the waiter's lock */
    return NULL;
}

int main(void)
{
    pthread_t t;

    sem_init(&waiter, 0, 1);
    sem_wait(&waiter); /* the waiter takes its fresh lock ... */
    if (pthread_create(&t, NULL, notifier, NULL) != 0)
        return 1;
    sem_wait(&waiter); /* ... and takes it again: blocks until notified */
    printf("result: %d\n", result);
    pthread_join(t, NULL);
    sem_destroy(&waiter);
    return 0;
}

// arg_counter_locked.c - the object handed to the threads carries its own
// mutex: correct twin of arg_counter_race.c.
//
// The same depositor and withdrawer update the balance of the struct they
// were started with, each under the struct's `lock`; a third thread gets a
// struct of its own, which it updates with no lock (only it touches it).
// Every shared access is ordered by the mutex; the balance ends at 0.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 200000L

struct account {
    pthread_mutex_t lock;
    long balance;
};

static void *depositor(void *arg)
{
    struct account *a = arg;
    for (long i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&a->lock);
        a->balance += 1;
        pthread_mutex_unlock(&a->lock);
    }
    return NULL;
}

static void *withdrawer(void *arg)
{
    struct account *a = arg;
    for (long i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&a->lock);
        a->balance -= 1;
        pthread_mutex_unlock(&a->lock);
    }
    return NULL;
}

static void *own_ledger(void *arg)
{
    struct account *mine = arg;
    for (long i = 0; i < ROUNDS; i++)
        mine->balance += 2;
    return NULL;
}

int main(void)
{
    struct account *shared = calloc(1, sizeof *shared), *private = calloc(1, sizeof *private);
    pthread_t t1, t2, t3;

    if (!shared || !private)
        return 1;
    pthread_mutex_init(&shared->lock, NULL);
    if (pthread_create(&t1, NULL, depositor, shared) != 0 || pthread_create(&t2, NULL, withdrawer, shared) != 0 ||
        pthread_create(&t3, NULL, own_ledger, private) != 0)
        return 1;
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    pthread_join(t3, NULL);
    printf("shared balance %ld, private ledger %ld\n", shared->balance, private->balance);
    int ok = shared->balance == 0 && private->balance == 2 * ROUNDS;
    pthread_mutex_destroy(&shared->lock);
    free(shared);
    free(private);
    return ok ? 0 : 1;
}

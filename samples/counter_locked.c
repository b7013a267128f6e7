// counter_locked.c - the shared balance under a mutex: correct twin of
// counter_race.c.
//
// The same two threads deposit and withdraw 1 equally often, but both update
// the balance while holding `balance_lock`.  Every access is ordered by the
// mutex, no update is lost, and the balance ends at exactly 0.
//
// Usage: counter_locked [ROUNDS]   (default 200000)
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long rounds = 200000;
static long balance;
static pthread_mutex_t balance_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start_together;

static void deposit(long amount)
{
    pthread_mutex_lock(&balance_lock);
    balance += amount;
    pthread_mutex_unlock(&balance_lock);
}

static void withdraw(long amount)
{
    pthread_mutex_lock(&balance_lock);
    balance -= amount;
    pthread_mutex_unlock(&balance_lock);
}

static void *depositor(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start_together);
    for (long i = 0; i < rounds; i++)
        deposit(1);
    return NULL;
}

static void *withdrawer(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start_together);
    for (long i = 0; i < rounds; i++)
        withdraw(1);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t1, t2;

    if (argc > 1)
        rounds = atol(argv[1]);
    pthread_barrier_init(&start_together, NULL, 2);
    if (pthread_create(&t1, NULL, depositor, NULL) != 0)
        return 1;
    if (pthread_create(&t2, NULL, withdrawer, NULL) != 0)
        return 1;
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    pthread_barrier_destroy(&start_together);

    printf("balance: %ld after %ld deposits and %ld withdrawals of 1\n", balance, rounds, rounds);
    return balance == 0 ? 0 : 1;
}

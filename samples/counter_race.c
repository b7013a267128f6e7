// counter_race.c - a shared balance updated without a lock: a data race.
//
// The first bug of every threading tutorial: one thread deposits 1 into a
// global balance, another withdraws 1, equally often, so the balance should
// end at 0.  But `balance += n` and `balance -= n` are each a read, an add and
// a write; nothing orders the two threads' accesses (they start together and
// only main's joins come after), so updates are lost and the balance usually
// ends far from 0.  The program still exits 0.  It is one bug: one unprotected
// variable, and the race is between the deposit and the withdrawal.
//
// Usage: counter_race [ROUNDS]   (default 10000000 deposits and withdrawals)
//
// Correct twin: counter_locked.c.
//
// concwatch-expect: data-race=1
// concwatch-expect-text: ['`]balance['`] \(8 bytes\b
// concwatch-expect-text: #0 deposit [^ ]*counter_race\.c:@line(deposit)\b
// concwatch-expect-text: #0 withdraw [^ ]*counter_race\.c:@line(withdraw)\b

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long rounds = 10000000;
static long balance; /* @balance */
static pthread_barrier_t start_together;

static void deposit(long amount)
{
    /* BUG: an unsynchronized read-modify-write */
    balance += amount; /* @deposit */
}

static void withdraw(long amount)
{
    /* BUG: races with deposit() */
    balance -= amount; /* @withdraw */
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

    printf("balance: %ld after %ld deposits and %ld withdrawals of 1 (0 if none was lost)\n", balance, rounds, rounds);
    return 0;
}

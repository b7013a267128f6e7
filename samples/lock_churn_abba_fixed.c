// lock_churn_abba_fixed.c - the correct twin of lock_churn_abba.c: 150 000
// rounds of two short-lived accounts at the same two addresses, each round
// moving money from the first to the second (first's lock, then second's);
// the last round's undo takes the locks in the same order, first's first.
// No two live locks are ever taken in both orders.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 150000

struct account {
    pthread_mutex_t lock;
    long balance;
};

static struct account *open_account(long balance)
{
    struct account *a = malloc(sizeof *a);
    if (!a)
        abort();
    pthread_mutex_init(&a->lock, NULL);
    a->balance = balance;
    return a;
}

static void close_account(struct account *a)
{
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static void transfer(struct account *from, struct account *to, long amount)
{
    pthread_mutex_lock(&from->lock);
    pthread_mutex_lock(&to->lock); /* @transfer */
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
}

static void undo(struct account *from, struct account *to, long amount)
{
    pthread_mutex_lock(&from->lock);
    pthread_mutex_lock(&to->lock); /* the same order as transfer() */
    to->balance -= amount;
    from->balance += amount;
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
}

int main(void)
{
    long total = 0;
    for (int i = 0; i < ROUNDS; i++) {
        struct account *a = open_account(100), *b = open_account(0);
        transfer(a, b, 10);
        if (i == ROUNDS - 1)
            undo(a, b, 10);
        total += a->balance + b->balance;
        close_account(b);
        close_account(a);
    }
    printf("%ld\n", total);
    return total == 100L * ROUNDS ? 0 : 1;
}

// lock_churn_abba.c - a lock-order inversion on short-lived locks, after
// 150 000 others at the same addresses.
//
// Each round makes two accounts, each with its own mutex, moves money from
// the first to the second (first's lock, then second's), and closes both
// (destroy, free).  malloc hands the same two blocks back every round, so
// every round's locks live at the addresses of the round before.  The last
// round also undoes its transfer, and the undo takes the locks the other way
// round (second's, then first's): two live locks taken in both orders by one
// thread, a potential deadlock as soon as two threads run a transfer and an
// undo at once.  150 000 rounds: a tool that remembers nestings by lock
// address must still tell the last round's locks from the earlier ones at
// the same addresses, however many came before.
//
// Correct twin: lock_churn_abba_fixed.c (the undo takes the first's lock first).
//
// concwatch-expect: lock-order-inversion=1
// concwatch-expect-text: \bundo \S*lock_churn_abba\.c:@line(undo)\b
// concwatch-expect-text: \btransfer \S*lock_churn_abba\.c:@line(transfer)\b

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
    pthread_mutex_lock(&to->lock);
    pthread_mutex_lock(&from->lock); /* @undo */ /* BUG: the other order */
    to->balance -= amount;
    from->balance += amount;
    pthread_mutex_unlock(&from->lock);
    pthread_mutex_unlock(&to->lock);
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

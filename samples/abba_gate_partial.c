// abba_gate_partial.c - ABBA where the gate lock covers only one side.
//
// Like abba_gate.c, alice_pays_bob() takes the bank-wide `gate` mutex before
// the two account locks.  But bob_pays_alice() was written later and skips the
// gate: it locks bob, then alice, holding nothing else.  The gate no longer
// protects the cycle (the second thread never waits for it), so the two
// threads can deadlock exactly as in abba.c.  They run one after the other,
// so this run does not hang: the order is the bug.
//
// concwatch-expect: lock-order-inversion=1

#include <pthread.h>
#include <stdio.h>

struct account {
    pthread_mutex_t lock;
    int balance;
};

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static struct account alice = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 };
static struct account bob = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 };

static void move_money(struct account *from, struct account *to, int amount)
{
    pthread_mutex_lock(&from->lock);
    pthread_mutex_lock(&to->lock);
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
}

static void *alice_pays_bob(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&gate);
    move_money(&alice, &bob, 10);
    pthread_mutex_unlock(&gate);
    return NULL;
}

static void *bob_pays_alice(void *arg)
{
    (void)arg;
    move_money(&bob, &alice, 20); /* BUG: without the gate */
    return NULL;
}

int main(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, alice_pays_bob, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    if (pthread_create(&t, NULL, bob_pays_alice, NULL) != 0)
        return 1;
    pthread_join(t, NULL);

    printf("alice: %d, bob: %d\n", alice.balance, bob.balance);
    return 0;
}

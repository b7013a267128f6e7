// abba_consistent.c - ABBA avoided by a global lock order: correct twin of abba.c.
//
// transfer(from, to) no longer locks `from` first: it locks the account with
// the smaller id first, whatever the direction of the payment.  Every thread
// then takes the two locks in the same order (alice before bob), so no cycle
// exists and nothing can deadlock.  The threads run one after the other,
// exactly like abba.c.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

struct account {
    pthread_mutex_t lock;
    int id;
    int balance;
};

static struct account alice = { .lock = PTHREAD_MUTEX_INITIALIZER, .id = 1, .balance = 100 };
static struct account bob = { .lock = PTHREAD_MUTEX_INITIALIZER, .id = 2, .balance = 100 };

static void transfer(struct account *from, struct account *to, int amount)
{
    struct account *first = from->id < to->id ? from : to;
    struct account *second = from->id < to->id ? to : from;

    pthread_mutex_lock(&first->lock);
    pthread_mutex_lock(&second->lock);
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
}

static void *alice_pays_bob(void *arg)
{
    (void)arg;
    transfer(&alice, &bob, 10);
    return NULL;
}

static void *bob_pays_alice(void *arg)
{
    (void)arg;
    transfer(&bob, &alice, 20);
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

// abba_gate.c - ABBA under a common gate lock: cannot deadlock.
//
// Both transfers first take the bank-wide `gate` mutex, then the two account
// locks in opposite orders (alice -> bob, then bob -> alice).  The account
// locks form a cycle, but every edge of it is taken while holding `gate`, so
// two threads can never be inside the cycle at the same time: one waits for
// `gate` before touching either account.  No deadlock is possible, and a
// detector that reports one here is wrong (ThreadSanitizer does).
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

struct account {
    pthread_mutex_t lock;
    int balance;
};

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static struct account alice = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 };
static struct account bob = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 };

static void transfer(struct account *from, struct account *to, int amount)
{
    pthread_mutex_lock(&gate);
    pthread_mutex_lock(&from->lock);
    pthread_mutex_lock(&to->lock);
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
    pthread_mutex_unlock(&gate);
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

// abba_trylock.c - ABBA where one side only tries: cannot deadlock.
//
// alice_pays_bob() locks alice, then bob, waiting for each.  bob_pays_alice()
// locks bob, then only *tries* alice with pthread_mutex_trylock(); when alice
// is busy it releases bob and starts over.  A trylock never waits, so the
// bob -> alice side can never be stuck holding bob: the cycle cannot close and
// the program cannot deadlock.  (The threads run one after the other, like
// abba.c, so here the trylock always succeeds at once.)
//
// concwatch-expect: clean

#include <pthread.h>
#include <sched.h>
#include <stdio.h>

struct account {
    pthread_mutex_t lock;
    int balance;
};

static struct account alice = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 };
static struct account bob = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 };

static void transfer(struct account *from, struct account *to, int amount)
{
    pthread_mutex_lock(&from->lock);
    pthread_mutex_lock(&to->lock);
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
}

/* Locks `from`, then tries `to`; backs off and retries while `to` is busy. */
static void transfer_backing_off(struct account *from, struct account *to, int amount)
{
    for (;;) {
        pthread_mutex_lock(&from->lock);
        if (pthread_mutex_trylock(&to->lock) == 0)
            break;
        pthread_mutex_unlock(&from->lock); /* EBUSY: let the other side finish */
        sched_yield();
    }
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
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
    transfer_backing_off(&bob, &alice, 20);
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

// abba_hang.c - ABBA that really deadlocks.
//
// The transfer of abba.c, but the two payments run at the same time and a
// barrier makes the worst interleaving certain: alice_pays_bob() holds alice
// and bob_pays_alice() holds bob when both go for their second lock.  Each
// now waits for a lock the other will never release, and main waits in
// pthread_join() for them: every thread is blocked for good.
//
// Natively the program hangs: never run it without concwatch.  Under concwatch
// the hang must be reported as one deadlock (one bug: not a deadlock plus a
// lock-order inversion) and the program ended (exit status 66).
//
// concwatch-expect: deadlock=1

#include <pthread.h>
#include <stdio.h>

struct account {
    pthread_mutex_t lock;
    int balance;
};

static struct account alice = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 };
static struct account bob = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 };

/* Both threads hold their first lock before either asks for its second. */
static pthread_barrier_t both_hold_one;

static void transfer(struct account *from, struct account *to, int amount)
{
    pthread_mutex_lock(&from->lock);
    pthread_barrier_wait(&both_hold_one);
    pthread_mutex_lock(&to->lock); /* waits forever */
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
    transfer(&bob, &alice, 20);
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;

    pthread_barrier_init(&both_hold_one, NULL, 2);
    if (pthread_create(&t1, NULL, alice_pays_bob, NULL) != 0)
        return 1;
    if (pthread_create(&t2, NULL, bob_pays_alice, NULL) != 0)
        return 1;
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);

    printf("alice: %d, bob: %d\n", alice.balance, bob.balance);
    return 0;
}

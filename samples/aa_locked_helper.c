// aa_locked_helper.c - AA avoided by design: correct twin of aa_plain_lock.c.
//
// The usual fix for "a Lock where an RLock was meant": split the helper.
// get_balance() is the public entry that takes the plain mutex;
// balance_locked() is the internal one that expects its caller to hold it.
// withdraw() holds the lock and calls balance_locked(), so every thread takes
// the mutex exactly once.  Two customers withdraw concurrently.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

struct account {
    pthread_mutex_t lock;
    int balance;
};

static struct account savings = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 };

/* The caller holds a->lock. */
static int balance_locked(const struct account *a)
{
    return a->balance;
}

static int get_balance(struct account *a)
{
    pthread_mutex_lock(&a->lock);
    int balance = balance_locked(a);
    pthread_mutex_unlock(&a->lock);
    return balance;
}

static int withdraw(struct account *a, int amount)
{
    int ok = 0;

    pthread_mutex_lock(&a->lock);
    if (balance_locked(a) >= amount) {
        a->balance -= amount;
        ok = 1;
    }
    pthread_mutex_unlock(&a->lock);
    return ok;
}

static void *customer(void *arg)
{
    (void)arg;
    withdraw(&savings, 30);
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;

    if (pthread_create(&t1, NULL, customer, NULL) != 0)
        return 1;
    if (pthread_create(&t2, NULL, customer, NULL) != 0)
        return 1;
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("balance: %d\n", get_balance(&savings));
    return 0;
}

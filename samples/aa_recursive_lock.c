// aa_recursive_lock.c - AA with a recursive mutex: correct twin of aa_plain_lock.c.
//
// The same bank account, but its lock is a PTHREAD_MUTEX_RECURSIVE mutex (the
// C equivalent of Python's RLock): withdraw() holds it and calls get_balance(),
// which takes it a second time.  A recursive mutex counts its owner's
// acquisitions, so the nested lock succeeds at once and the lock is released
// when the count drops back to zero.  Nothing can hang.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

struct account {
    pthread_mutex_t lock;
    int balance;
};

static struct account savings = { .balance = 100 };

static int get_balance(struct account *a)
{
    pthread_mutex_lock(&a->lock); /* nested: the count goes to 2 */
    int balance = a->balance;
    pthread_mutex_unlock(&a->lock);
    return balance;
}

static int withdraw(struct account *a, int amount)
{
    int ok = 0;

    pthread_mutex_lock(&a->lock);
    if (get_balance(a) >= amount) {
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
    pthread_mutexattr_t attr;
    pthread_t t;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&savings.lock, &attr);
    pthread_mutexattr_destroy(&attr);

    if (pthread_create(&t, NULL, customer, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    printf("balance: %d\n", savings.balance);
    pthread_mutex_destroy(&savings.lock);
    return 0;
}

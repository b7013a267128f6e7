// aa_errorcheck_lock.c - AA on an error-checking mutex: the bug that does not hang.
//
// The bank account of aa_plain_lock.c with a PTHREAD_MUTEX_ERRORCHECK lock:
// withdraw() holds it and calls get_balance(), which locks it again.  An
// error-checking mutex refuses the relock with EDEADLK instead of hanging;
// get_balance() logs the error and reads the balance anyway (the caller does
// hold the lock), so the run completes and exits 0.
//
// It is still the self-deadlock bug: the code relocks a non-recursive mutex it
// holds, and the same code with a default mutex hangs.  A demanding user wants
// it reported as such.  concwatch must not end the program (it does not hang),
// but exits 66 because a finding was reported.
//
// concwatch-expect: self-deadlock=1

#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct account {
    pthread_mutex_t lock;
    int balance;
};

static struct account savings = { .balance = 100 };

static int get_balance(struct account *a)
{
    int rc = pthread_mutex_lock(&a->lock); /* BUG: the caller holds it: EDEADLK */
    if (rc != 0) {
        fprintf(stderr, "get_balance: pthread_mutex_lock: %s\n", strerror(rc));
        return a->balance;
    }
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
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&savings.lock, &attr);
    pthread_mutexattr_destroy(&attr);

    if (pthread_create(&t, NULL, customer, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    printf("balance: %d\n", savings.balance);
    pthread_mutex_destroy(&savings.lock);
    return 0;
}

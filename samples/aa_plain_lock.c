// aa_plain_lock.c - AA: a thread takes a plain mutex that it already holds.
//
// The Python tutorial bug "a Lock where an RLock was meant", in C: withdraw()
// takes the account lock and, to check the funds, calls get_balance(), which
// takes the same lock again.  A default pthread mutex is not recursive: the
// second pthread_mutex_lock() waits for the owner to release the lock, and the
// owner is the waiting thread itself.  The first withdrawal hangs forever.
//
// Natively the program hangs: never run it without concwatch.  Under concwatch
// the self-deadlock is reported and the program is ended (exit status 66).
// Correct twins: aa_recursive_lock.c, aa_locked_helper.c.
//
// concwatch-expect: self-deadlock=1
// concwatch-expect-text: \bget_balance\b
// concwatch-expect-text: \bwithdraw\b
// concwatch-expect-text: aa_plain_lock\.c:@line(relock)\b
// concwatch-expect-text: aa_plain_lock\.c:@line(first)\b

#include <pthread.h>
#include <stdio.h>

struct account {
    pthread_mutex_t lock;
    int balance;
};

static struct account savings = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 };

static int get_balance(struct account *a)
{
    pthread_mutex_lock(&a->lock); /* @relock */
    int balance = a->balance;
    pthread_mutex_unlock(&a->lock);
    return balance;
}

static int withdraw(struct account *a, int amount)
{
    int ok = 0;

    pthread_mutex_lock(&a->lock); /* @first */
    if (get_balance(a) >= amount) { /* BUG: get_balance() takes the lock again */
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
    pthread_t t;

    if (pthread_create(&t, NULL, customer, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    printf("balance: %d\n", savings.balance);
    return 0;
}

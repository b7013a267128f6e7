// bank_account.c - one account, many threads, one mutex: correct.
//
// Two depositors and two withdrawers run at the same time, 20000 operations
// each, on one account.  Every read and update of the balance happens under the
// account's mutex, and withdraw() checks the funds and debits them in the same
// critical section, so the balance never goes negative and no update is lost.
// The final balance is checked against the operations' own tally.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

#define OPS 20000

struct account {
    pthread_mutex_t lock;
    long balance;
    long deposited;
    long withdrawn;
};

static struct account acct = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 1000 };

static void deposit(struct account *a, long amount)
{
    pthread_mutex_lock(&a->lock);
    a->balance += amount;
    a->deposited += amount;
    pthread_mutex_unlock(&a->lock);
}

static int withdraw(struct account *a, long amount)
{
    int ok = 0;

    pthread_mutex_lock(&a->lock);
    if (a->balance >= amount) {
        a->balance -= amount;
        a->withdrawn += amount;
        ok = 1;
    }
    pthread_mutex_unlock(&a->lock);
    return ok;
}

static void *depositor(void *arg)
{
    (void)arg;
    for (int i = 0; i < OPS; i++)
        deposit(&acct, 3);
    return NULL;
}

static void *withdrawer(void *arg)
{
    (void)arg;
    for (int i = 0; i < OPS; i++)
        withdraw(&acct, 5);
    return NULL;
}

int main(void)
{
    void *(*role[4])(void *) = { depositor, withdrawer, depositor, withdrawer };
    pthread_t t[4];

    for (int i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, role[i], NULL) != 0)
            return 1;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);

    printf("balance: %ld (deposited %ld, withdrawn %ld)\n",
           acct.balance, acct.deposited, acct.withdrawn);
    return acct.balance == 1000 + acct.deposited - acct.withdrawn && acct.balance >= 0 ? 0 : 1;
}

// bank_one_way.c - transfer(from, to) locks `from`, then `to`: a deadlock
// waiting to happen, in a run that only ever moves money one way.
//
// Three accounts, each with its own mutex, all made by account_init(): one
// class of locks.  transfer() locks the payer, then the payee.  In this run
// alice only pays bob and carol only pays bob: no two transfers ever go
// opposite ways, so the locks never form a cycle and the run cannot hang.
// But the day bob pays alice while alice pays bob, each teller holds one
// account and waits for the other: deadlock.  Nothing in this run orders the
// account locks: bob's is taken inside alice's (lower address, made first)
// and inside carol's (higher address, made later), their ids and balances
// say nothing either.  One lock-order-inversion, predicted from the class.
//
// Correct twins: bank_one_way_ordered.c (lower address first), and
// bank_one_way_gate.c (one bank lock around every transfer).
//
// concwatch-expect: lock-order-inversion=1
// concwatch-expect-text: predicted cycle: locks made at one place are taken inside each other
// concwatch-expect-text: bank_one_way\.c:@line(to)\b

#include <pthread.h>
#include <stdio.h>

struct account {
    pthread_mutex_t lock;
    long balance;
    int id;
};

static struct account accounts[3];   /* alice, bob, carol */

static void account_init(struct account *a, int id)
{
    pthread_mutex_init(&a->lock, NULL);
    a->balance = 100;
    a->id = id;
}

static void transfer(struct account *from, struct account *to, long amount)
{
    pthread_mutex_lock(&from->lock);
    pthread_mutex_lock(&to->lock); /* @to */
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
}

static void *alice_pays_bob(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++)
        transfer(&accounts[0], &accounts[1], 1);
    return NULL;
}

static void *carol_pays_bob(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++)
        transfer(&accounts[2], &accounts[1], 2);
    return NULL;
}

int main(void)
{
    pthread_t a, c;
    for (int i = 0; i < 3; i++)
        account_init(&accounts[i], i);
    if (pthread_create(&a, NULL, alice_pays_bob, NULL) != 0 || pthread_create(&c, NULL, carol_pays_bob, NULL) != 0)
        return 1;
    pthread_join(a, NULL);
    pthread_join(c, NULL);
    printf("alice %ld, bob %ld, carol %ld\n", accounts[0].balance, accounts[1].balance, accounts[2].balance);
    return 0;
}

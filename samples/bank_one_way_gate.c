// bank_one_way_gate.c - every transfer under one bank lock: correct twin of
// bank_one_way.c.
//
// transfer() still locks the payer, then the payee, but only while holding
// the bank's own lock: two transfers never run at once, so their account
// locks can never wait for each other, whatever their order.  Every nesting
// of two account locks happens under that common lock: concwatch predicts
// nothing.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

struct account {
    pthread_mutex_t lock;
    long balance;
    int id;
};

static pthread_mutex_t bank_lock = PTHREAD_MUTEX_INITIALIZER;
static struct account accounts[3];   /* alice, bob, carol */

static void account_init(struct account *a, int id)
{
    pthread_mutex_init(&a->lock, NULL);
    a->balance = 100;
    a->id = id;
}

static void transfer(struct account *from, struct account *to, long amount)
{
    pthread_mutex_lock(&bank_lock);
    pthread_mutex_lock(&from->lock);
    pthread_mutex_lock(&to->lock);
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
    pthread_mutex_unlock(&bank_lock);
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

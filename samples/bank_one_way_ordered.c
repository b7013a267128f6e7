// bank_one_way_ordered.c - transfers that lock the lower address first:
// correct twin of bank_one_way.c.
//
// transfer() locks the two accounts in one global order, the order of their
// addresses, whichever pays.  Money now moves every way between all three
// (alice and bob, bob and carol, alice and carol, both ways) and no two
// transfers can wait for each other.  Carol's lock is taken inside alice's
// and inside bob's (no parent-child hierarchy explains that), but every
// nesting of two account locks in the run goes from the lower address to the
// higher one: concwatch sees the order, and predicts nothing.
//
// concwatch-expect: clean

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
    struct account *first = from < to ? from : to, *second = from < to ? to : from;
    pthread_mutex_lock(&first->lock);
    pthread_mutex_lock(&second->lock);
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
}

struct standing_order {
    struct account *from, *to;
};

static void *teller(void *arg)
{
    const struct standing_order *order = arg;
    for (int i = 0; i < 100; i++)
        transfer(order->from, order->to, 1);
    return NULL;
}

int main(void)
{
    struct account *alice = &accounts[0], *bob = &accounts[1], *carol = &accounts[2];
    struct standing_order orders[6] = {
        { alice, bob }, { bob, alice }, { bob, carol }, { carol, bob }, { alice, carol }, { carol, alice },
    };
    pthread_t t[6];
    for (int i = 0; i < 3; i++)
        account_init(&accounts[i], i);
    for (int i = 0; i < 6; i++)
        if (pthread_create(&t[i], NULL, teller, &orders[i]) != 0)
            return 1;
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    printf("alice %ld, bob %ld, carol %ld\n", alice->balance, bob->balance, carol->balance);
    return 0;
}

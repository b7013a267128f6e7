// bank_one_way_ordered.c - transfers that lock the lower address first:
// correct twin of bank_one_way.c.
//
// transfer() locks the two accounts in one global order, the order of their
// addresses, whichever pays.  Money now moves every way (alice pays bob, bob
// pays alice, carol pays bob, bob pays carol) and no two transfers can wait
// for each other.  Every nesting of two account locks in the run goes from
// the lower address to the higher one: concwatch sees the order, and
// predicts nothing.
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

static void *teller(void *arg)
{
    struct account *pairs = arg;
    for (int i = 0; i < 100; i++)
        transfer(&pairs[0], &pairs[1], 1);
    return NULL;
}

static void *reverse_teller(void *arg)
{
    struct account *pairs = arg;
    for (int i = 0; i < 100; i++)
        transfer(&pairs[1], &pairs[0], 1);
    return NULL;
}

int main(void)
{
    pthread_t t[4];
    for (int i = 0; i < 3; i++)
        account_init(&accounts[i], i);
    if (pthread_create(&t[0], NULL, teller, &accounts[0]) != 0 ||          /* alice -> bob */
        pthread_create(&t[1], NULL, reverse_teller, &accounts[0]) != 0 ||  /* bob -> alice */
        pthread_create(&t[2], NULL, teller, &accounts[1]) != 0 ||          /* bob -> carol */
        pthread_create(&t[3], NULL, reverse_teller, &accounts[1]) != 0)    /* carol -> bob */
        return 1;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("alice %ld, bob %ld, carol %ld\n", accounts[0].balance, accounts[1].balance, accounts[2].balance);
    return 0;
}

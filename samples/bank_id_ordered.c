// bank_id_ordered.c - account locks taken in the order of the accounts'
// numbers: correct, and so clean.
//
// Accounts live on the heap and are opened in no particular order of their
// numbers, so neither their addresses nor the order their locks were made in
// follow the numbers.  transfer() locks the account with the lower number
// first, whichever pays: one global order, and money moves every way without
// any two transfers able to wait for each other.  Every nesting of two account
// locks agrees with the `number` field next to the lock: concwatch sees that
// order, and predicts nothing.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct account {
    pthread_mutex_t lock;
    int number;
    long balance;
};

#define ACCOUNTS 5
static struct account *by_number[ACCOUNTS];

static void *open_account(int number)
{
    struct account *a = calloc(1, sizeof *a);
    if (!a)
        exit(1);
    pthread_mutex_init(&a->lock, NULL);
    a->number = number;
    a->balance = 100;
    by_number[number] = a;
    return a;
}

static void transfer(struct account *from, struct account *to, long amount)
{
    struct account *first = from->number < to->number ? from : to;
    struct account *second = first == from ? to : from;
    pthread_mutex_lock(&first->lock);
    pthread_mutex_lock(&second->lock);
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
}

static void *teller(void *arg)
{
    int shift = *(int *)arg;
    for (int i = 0; i < 200; i++) {
        int a = (i + shift) % ACCOUNTS, b = (i * 3 + shift + 1) % ACCOUNTS;
        if (a != b)
            transfer(by_number[a], by_number[b], 1);
    }
    return NULL;
}

int main(void)
{
    static const int opening_order[ACCOUNTS] = { 3, 0, 4, 1, 2 };
    for (int i = 0; i < ACCOUNTS; i++)
        open_account(opening_order[i]);
    pthread_t t[3];
    int shifts[3] = { 0, 2, 4 };
    for (int i = 0; i < 3; i++)
        if (pthread_create(&t[i], NULL, teller, &shifts[i]) != 0)
            return 1;
    long total = 0;
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < ACCOUNTS; i++)
        total += by_number[i]->balance;
    printf("total %ld\n", total);
    return total == 100 * ACCOUNTS ? 0 : 1;
}

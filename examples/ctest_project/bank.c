#include "bank.h"

#include <stdlib.h>

struct account *account_open(int id, long balance)
{
    struct account *a = calloc(1, sizeof *a);
    if (!a)
        abort();
    a->id = id;
    a->balance = balance;
    pthread_mutex_init(&a->lock, NULL);
    return a;
}

void account_close(struct account *a)
{
    pthread_mutex_destroy(&a->lock);
    free(a);
}

void transfer_unordered(struct account *from, struct account *to, long amount)
{
    pthread_mutex_lock(&from->lock);
    pthread_mutex_lock(&to->lock);
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
}

void transfer_ordered(struct account *from, struct account *to, long amount)
{
    struct account *first = from->id < to->id ? from : to;
    struct account *second = from->id < to->id ? to : from;
    pthread_mutex_lock(&first->lock);
    pthread_mutex_lock(&second->lock);
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
}

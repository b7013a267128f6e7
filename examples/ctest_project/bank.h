/* A tiny bank: accounts with their own lock, and two ways to move money. */
#ifndef BANK_H
#define BANK_H

#include <pthread.h>

struct account {
    int id;
    long balance;
    pthread_mutex_t lock;
};

struct account *account_open(int id, long balance);
void account_close(struct account *a);

/* Locks `from`, then `to`: two opposite transfers can deadlock (the bug). */
void transfer_unordered(struct account *from, struct account *to, long amount);

/* Locks the account with the lower id first: one global order, no deadlock. */
void transfer_ordered(struct account *from, struct account *to, long amount);

#endif

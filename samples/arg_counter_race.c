// arg_counter_race.c - the counter race on an object handed to the threads
// through pthread_create's argument.
//
// main allocates one `struct account` and starts a depositor and a
// withdrawer with a pointer to it; each adds or subtracts 1 to its balance
// 30 million times with no lock.  The balance ends far from 0.  The object is
// on the heap, not a global: concwatch watches what threads are started with
// too.
//
// Correct twin: arg_counter_locked.c (the struct carries its own mutex).
//
// concwatch-expect: data-race=1
// concwatch-expect-text: the object a thread was started with
// concwatch-expect-text: #0 deposit [^ ]*arg_counter_race\.c:@line(deposit)\b
// concwatch-expect-text: #0 withdraw [^ ]*arg_counter_race\.c:@line(withdraw)\b
// concwatch-expect-text: passed the object to a new thread here(.*\n){1,3}.*\bmain [^ ]*arg_counter_race\.c

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 30000000L

struct account {
    long id;
    long balance;
};

static void deposit(struct account *a)
{
    a->balance += 1; /* @deposit */
}

static void withdraw(struct account *a)
{
    a->balance -= 1; /* @withdraw */
}

static void *depositor(void *arg)
{
    for (long i = 0; i < ROUNDS; i++)
        deposit(arg);
    return NULL;
}

static void *withdrawer(void *arg)
{
    for (long i = 0; i < ROUNDS; i++)
        withdraw(arg);
    return NULL;
}

int main(void)
{
    struct account *acc = calloc(1, sizeof *acc);
    pthread_t t1, t2;

    if (!acc || pthread_create(&t1, NULL, depositor, acc) != 0 || pthread_create(&t2, NULL, withdrawer, acc) != 0)
        return 1;
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("balance: %ld (0 if no update was lost)\n", acc->balance);
    free(acc);
    return 0;
}

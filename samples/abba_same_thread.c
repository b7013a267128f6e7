// abba_same_thread.c - ABBA inside one request handler.
//
// handle_order() pays a supplier (locks the buyer's account, then the
// seller's) and then processes a refund the other way round (seller, then
// buyer): each thread that runs it takes the two locks in both orders.  Two
// such handlers running at the same time can each hold one account and wait
// for the other's.  Here the second handler starts only after the first has
// been joined, so this run never hangs; the two orders are the bug, even
// though each one comes from the same function in the same thread.
//
// Correct twin: abba_consistent.c (both take the account with the smaller id
// first).
//
// concwatch-expect: lock-order-inversion=1
// concwatch-expect-text: abba_same_thread\.c:@line(edge)\b.*\n.*\bpay\b
// concwatch-expect-text: abba_same_thread\.c:@line(edge)\b.*\n.*\brefund\b

#include <pthread.h>
#include <stdio.h>

struct account {
    pthread_mutex_t lock;
    int balance;
};

static struct account shop = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 };
static struct account supplier = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 };

static void transfer(struct account *from, struct account *to, int amount)
{
    pthread_mutex_lock(&from->lock);
    pthread_mutex_lock(&to->lock); /* @edge */
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
}

static void pay(int amount)
{
    transfer(&shop, &supplier, amount);
}

static void refund(int amount)
{
    transfer(&supplier, &shop, amount);
}

static void *handle_order(void *arg)
{
    (void)arg;
    pay(30);
    refund(10);
    return NULL;
}

int main(void)
{
    for (int i = 0; i < 2; i++) {
        pthread_t handler;
        if (pthread_create(&handler, NULL, handle_order, NULL) != 0)
            return 1;
        pthread_join(handler, NULL);
    }
    printf("shop %d, supplier %d\n", shop.balance, supplier.balance);
    return 0;
}

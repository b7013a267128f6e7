// spinlock_abba.c - ABBA with spinlocks.
//
// A packet router keeps one spinlock per queue.  move_packets(from, to) spins
// on `from`, then on `to`.  One thread moves packets rx -> tx, the other
// tx -> rx: run at the same time, each can hold one spinlock and spin forever
// on the other (burning a CPU each, which is worse than a blocked mutex).  The
// threads run one after the other, so this run does not hang: the order is
// the bug.
//
// Correct twin: spinlock_consistent.c.
//
// concwatch-expect: lock-order-inversion=1

#include <pthread.h>
#include <stdio.h>

struct queue {
    pthread_spinlock_t lock;
    int packets;
};

static struct queue rx = { .packets = 8 }, tx = { .packets = 8 };

static void move_packets(struct queue *from, struct queue *to, int n)
{
    pthread_spin_lock(&from->lock);
    pthread_spin_lock(&to->lock);
    from->packets -= n;
    to->packets += n;
    pthread_spin_unlock(&to->lock);
    pthread_spin_unlock(&from->lock);
}

static void *forward(void *arg)
{
    (void)arg;
    move_packets(&rx, &tx, 3);
    return NULL;
}

static void *bounce(void *arg)
{
    (void)arg;
    move_packets(&tx, &rx, 1);
    return NULL;
}

int main(void)
{
    pthread_t t;

    pthread_spin_init(&rx.lock, PTHREAD_PROCESS_PRIVATE);
    pthread_spin_init(&tx.lock, PTHREAD_PROCESS_PRIVATE);

    if (pthread_create(&t, NULL, forward, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    if (pthread_create(&t, NULL, bounce, NULL) != 0)
        return 1;
    pthread_join(t, NULL);

    printf("rx: %d, tx: %d\n", rx.packets, tx.packets);
    pthread_spin_destroy(&rx.lock);
    pthread_spin_destroy(&tx.lock);
    return 0;
}

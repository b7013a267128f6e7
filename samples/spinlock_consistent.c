// spinlock_consistent.c - spinlocks taken in one global order: correct twin of
// spinlock_abba.c.
//
// move_packets() always spins on the rx queue's lock before the tx queue's
// (queues are ordered by their `order` field), whichever way the packets move.
// Both threads take the two spinlocks in the same order: no cycle.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

struct queue {
    pthread_spinlock_t lock;
    int order;
    int packets;
};

static struct queue rx = { .order = 0, .packets = 8 }, tx = { .order = 1, .packets = 8 };

static void move_packets(struct queue *from, struct queue *to, int n)
{
    struct queue *first = from->order < to->order ? from : to;
    struct queue *second = from->order < to->order ? to : from;

    pthread_spin_lock(&first->lock);
    pthread_spin_lock(&second->lock);
    from->packets -= n;
    to->packets += n;
    pthread_spin_unlock(&second->lock);
    pthread_spin_unlock(&first->lock);
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

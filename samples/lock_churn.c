// lock_churn.c - many short-lived locks at reused addresses: correct.
//
// Each round allocates two nodes, each with its own mutex, merges the second
// into the first while holding both locks (source's lock, then destination's),
// then destroys the mutexes and frees the nodes.  malloc hands the two freed
// blocks back in the opposite order next round, so the nodes' addresses swap
// every round: round 1 locks the block at P then the one at Q, round 2 locks Q
// then P.  By address that looks like a cycle, but no two live locks are ever
// taken in opposite orders: a lock that was destroyed and freed is gone, and
// one initialised later at the same address is a new lock.  Two workers run
// the rounds one after the other (the second reuses the first's memory).
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define ROUNDS 2000

struct node {
    pthread_mutex_t lock;
    long value;
};

static struct node *node_new(long value)
{
    struct node *n = malloc(sizeof *n);
    if (!n)
        abort();
    pthread_mutex_init(&n->lock, NULL);
    n->value = value;
    return n;
}

static void node_free(struct node *n)
{
    pthread_mutex_destroy(&n->lock);
    free(n);
}

/* Moves src's value into dst, holding src's lock, then dst's. */
static void node_merge(struct node *dst, struct node *src)
{
    pthread_mutex_lock(&src->lock);
    pthread_mutex_lock(&dst->lock);
    dst->value += src->value;
    src->value = 0;
    pthread_mutex_unlock(&dst->lock);
    pthread_mutex_unlock(&src->lock);
}

static void *churn(void *arg)
{
    long *total = arg;

    for (long i = 0; i < ROUNDS; i++) {
        struct node *a = node_new(i);
        struct node *b = node_new(1);
        node_merge(a, b);
        *total += a->value;
        node_free(a);
        node_free(b);
    }
    return NULL;
}

int main(void)
{
    long total[2] = { 0, 0 };
    pthread_t t;

    for (int w = 0; w < 2; w++) {
        if (pthread_create(&t, NULL, churn, &total[w]) != 0)
            return 1;
        pthread_join(t, NULL);
    }

    printf("total: %ld\n", total[0] + total[1]);
    return total[0] + total[1] == 2 * ((long)ROUNDS * (ROUNDS - 1) / 2 + ROUNDS) ? 0 : 1;
}

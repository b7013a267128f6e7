// list_hand_over_hand.c - a sorted list walked hand over hand (lock coupling).
//
// Every node of a sorted singly linked list carries its own mutex, all made
// at one place (new_node): they are one class of locks.  A thread walking the
// list holds the lock of the node it stands on while it takes the next node's
// lock, then lets the first one go.  So a node's lock is taken inside another
// lock of the same class, over and over, and the locks are released in the
// order they were taken (not in reverse).  This is correct: a node's lock is
// only ever taken inside its predecessor's, the list order is one total
// order that every thread follows, and two walkers can never wait for each
// other.  The nodes are allocated in a shuffled key order, so the list order
// is not the order of their addresses; inserters link new nodes in while
// walkers walk.  Threads are started without waiting for the earlier ones,
// and end while later ones run.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct node {
    pthread_mutex_t lock;
    int key;
    long visits;
    struct node *next;
};

static struct node head;   /* sentinel: key below every key */

static struct node *new_node(int key)
{
    struct node *n = calloc(1, sizeof *n);
    if (!n)
        exit(1);
    pthread_mutex_init(&n->lock, NULL);
    n->key = key;
    return n;
}

/* Visits every node, holding at most two locks at a time. */
static void walk(void)
{
    struct node *prev = &head;
    pthread_mutex_lock(&prev->lock);
    while (prev->next) {
        struct node *cur = prev->next;
        pthread_mutex_lock(&cur->lock);
        pthread_mutex_unlock(&prev->lock);
        cur->visits++;
        prev = cur;
    }
    pthread_mutex_unlock(&prev->lock);
}

/* Links a node in at its place, hand over hand. */
static void insert(struct node *n)
{
    struct node *prev = &head;
    pthread_mutex_lock(&prev->lock);
    while (prev->next) {
        struct node *cur = prev->next;
        pthread_mutex_lock(&cur->lock);
        if (cur->key > n->key) {
            pthread_mutex_unlock(&cur->lock);
            break;
        }
        pthread_mutex_unlock(&prev->lock);
        prev = cur;
    }
    n->next = prev->next;
    prev->next = n;
    pthread_mutex_unlock(&prev->lock);
}

static void *walker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20; i++)
        walk();
    return NULL;
}

static void *inserter(void *arg)
{
    int *keys = arg;
    for (int i = 0; i < 8; i++)
        insert(new_node(keys[i]));
    return NULL;
}

int main(void)
{
    static const int first[] = { 40, 10, 70, 20, 90, 30, 60, 50, 80, 0 };
    static int later[2][8] = { { 15, 75, 5, 55, 95, 35, 65, 25 }, { 12, 72, 2, 52, 92, 32, 62, 22 } };
    pthread_mutex_init(&head.lock, NULL);
    head.key = -1;
    for (int i = 0; i < 10; i++)
        insert(new_node(first[i]));

    pthread_t t[12];
    for (int i = 0; i < 12; i++) {
        int rc = i == 3 || i == 8 ? pthread_create(&t[i], NULL, inserter, later[i == 8])
                                  : pthread_create(&t[i], NULL, walker, NULL);
        if (rc != 0)
            return 1;
    }
    for (int i = 0; i < 12; i++)
        pthread_join(t[i], NULL);

    int n = 0, sorted = 1;
    for (struct node *p = head.next; p; p = p->next, n++)
        sorted &= !p->next || p->key < p->next->key;
    printf("%d nodes, %s\n", n, sorted ? "sorted" : "NOT sorted");
    return n == 26 && sorted ? 0 : 1;
}

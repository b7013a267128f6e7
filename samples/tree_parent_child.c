// tree_parent_child.c - a binary search tree locked from parent to child
// (lock coupling): correct, and so clean.
//
// Every node has its own mutex, all made by new_node(): one class.  insert()
// walks down from the root holding the parent's lock while it takes the
// child's, then lets the parent go.  A node's lock is only ever taken inside
// its parent's, and the tree's parent-to-child order is one order that every
// thread follows: no two inserters can wait for each other.  The nodes are
// made in the order keys arrive, so neither addresses nor keys follow the
// tree's shape; what concwatch sees is the hierarchy: each node's lock is
// only ever nested inside one other lock of its class, its parent's.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct node {
    pthread_mutex_t lock;
    int key;
    struct node *child[2];
};

static struct node *new_node(int key)
{
    struct node *n = calloc(1, sizeof *n);
    if (!n)
        exit(1);
    pthread_mutex_init(&n->lock, NULL);
    n->key = key;
    return n;
}

static struct node *root;

/* The root exists; walks down hand over hand and links a new leaf. */
static void insert(int key)
{
    struct node *parent = root;
    pthread_mutex_lock(&parent->lock);
    for (;;) {
        struct node **slot = &parent->child[key > parent->key];
        if (!*slot) {
            *slot = new_node(key);
            pthread_mutex_unlock(&parent->lock);
            return;
        }
        struct node *child = *slot;
        pthread_mutex_lock(&child->lock);
        pthread_mutex_unlock(&parent->lock);
        parent = child;
    }
}

static int count(const struct node *n)
{
    return n ? 1 + count(n->child[0]) + count(n->child[1]) : 0;
}

static void *inserter(void *arg)
{
    int base = *(int *)arg;
    for (int i = 0; i < 40; i++)
        insert((base + i * 37) % 1000);
    return NULL;
}

int main(void)
{
    root = new_node(500);
    pthread_t t[3];
    int bases[3] = { 1, 2, 3 };
    for (int i = 0; i < 3; i++)
        if (pthread_create(&t[i], NULL, inserter, &bases[i]) != 0)
            return 1;
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("%d nodes\n", count(root));
    return 0;
}

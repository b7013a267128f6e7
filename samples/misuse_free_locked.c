// misuse_free_locked.c - memory freed while it holds a locked mutex.
//
// A connection carries its own mutex.  A sender thread locks the connection
// to send on it; meanwhile main closes the connection and frees it, without
// taking the lock (it believes the sender is done).  The mutex dies with its
// memory while the sender holds it, and the sender's unlock writes into
// freed memory.  (The mutex is not at the start of the block, where the
// allocator keeps its own links, so this run exits 0.)  One misuse: the free.
//
// Correct twin: misuse_free_locked_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: frees the memory of mutex M1 while T1 holds it
// concwatch-expect-text: misuse_free_locked\.c:@line(free)\b
// concwatch-expect-text: misuse_free_locked\.c:@line(lock)\b

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>

struct connection {
    char peer[32];
    pthread_mutex_t lock;
    long sent;
};

static sem_t locked, closed;

static void *sender(void *arg)
{
    struct connection *c = arg;
    pthread_mutex_lock(&c->lock); /* @lock */
    c->sent++;
    sem_post(&locked);
    sem_wait(&closed);
    pthread_mutex_unlock(&c->lock);   /* the memory is freed by now */
    return NULL;
}

static void close_connection(struct connection *c)
{
    free(c); /* @free */
}

int main(void)
{
    pthread_t t;
    struct connection *c = calloc(1, sizeof *c);
    if (!c)
        return 1;
    pthread_mutex_init(&c->lock, NULL);
    sem_init(&locked, 0, 0);
    sem_init(&closed, 0, 0);
    if (pthread_create(&t, NULL, sender, c) != 0)
        return 1;
    sem_wait(&locked);
    close_connection(c);   /* BUG: the sender still holds its lock */
    sem_post(&closed);
    pthread_join(t, NULL);
    puts("closed");
    return 0;
}

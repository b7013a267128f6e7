// misuse_free_locked_fixed.c - the connection is freed once the sender is
// done with it, its mutex unlocked and destroyed: correct twin of
// misuse_free_locked.c.
//
// concwatch-expect: clean

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
    pthread_mutex_lock(&c->lock);
    c->sent++;
    sem_post(&locked);
    sem_wait(&closed);
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static void close_connection(struct connection *c)
{
    pthread_mutex_lock(&c->lock);     /* nobody uses it any more */
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_destroy(&c->lock);
    free(c);
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
    sem_post(&closed);
    pthread_join(t, NULL);
    close_connection(c);
    puts("closed");
    return 0;
}

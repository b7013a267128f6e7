// misuse_cond_destroy_waiting_fixed.c - shutdown that wakes the worker before
// destroying the condition: correct twin of misuse_cond_destroy_waiting.c.
//
// queue_close() sets the `closing` flag and broadcasts under the lock, then
// destroys the condition right away, before the worker has even left its
// wait.  That is allowed: after the broadcast no thread is blocked on the
// condition any more (POSIX: "It shall be safe to destroy an initialized
// condition variable upon which no threads are currently blocked"), and
// glibc's destroy waits the moment it takes the woken worker to leave.  The
// worker sees `closing` and ends; main joins it, then destroys the mutex.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    int jobs;
    int closing;
    int worker_waiting;
};

static struct queue q;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&q.lock);
    q.worker_waiting = 1;
    while (q.jobs == 0 && !q.closing)
        pthread_cond_wait(&q.nonempty, &q.lock);
    if (q.jobs > 0)
        q.jobs--;
    pthread_mutex_unlock(&q.lock);
    return NULL;
}

static void queue_close(struct queue *queue)
{
    pthread_mutex_lock(&queue->lock);
    queue->closing = 1;
    pthread_cond_broadcast(&queue->nonempty);
    pthread_mutex_unlock(&queue->lock);
    pthread_cond_destroy(&queue->nonempty);   /* nobody is blocked on it any more */
}

int main(void)
{
    pthread_t t;
    pthread_mutex_init(&q.lock, NULL);
    pthread_cond_init(&q.nonempty, NULL);
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    for (int waiting = 0; !waiting;) {
        pthread_mutex_lock(&q.lock);
        waiting = q.worker_waiting;
        pthread_mutex_unlock(&q.lock);
    }
    queue_close(&q);
    pthread_join(t, NULL);
    pthread_mutex_destroy(&q.lock);
    puts("closed");
    return 0;
}

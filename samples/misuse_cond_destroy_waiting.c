// misuse_cond_destroy_waiting.c - a condition variable destroyed while a
// thread still waits on it.
//
// A job queue with one worker: the worker sleeps on the queue's condition
// until a job arrives.  At shutdown, queue_close() destroys the condition and
// the mutex -- but it never told the worker to stop (no flag, no broadcast),
// so the worker is still asleep on the condition.  Destroying a condition
// variable that a thread waits on is undefined; glibc's pthread_cond_destroy
// waits for the waiters to leave, and this one never will: the program hangs
// in the destroy.  One misuse, reported when the destroy is called (before
// glibc blocks); concwatch then ends the hung program, without a second
// finding for the same bug.
//
// Natively the program hangs: never run it without concwatch.
// Correct twin: misuse_cond_destroy_waiting_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: destroys condition variable M1 while T1 waits on it
// concwatch-expect-text: misuse_cond_destroy_waiting\.c:@line(destroy)\b
// concwatch-expect-text: misuse_cond_destroy_waiting\.c:@line(wait)\b

#include <pthread.h>
#include <stdio.h>

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    int jobs;
    int worker_waiting;
};

static struct queue q;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&q.lock);
    q.worker_waiting = 1;
    while (q.jobs == 0)
        pthread_cond_wait(&q.nonempty, &q.lock); /* @wait */
    q.jobs--;
    pthread_mutex_unlock(&q.lock);
    return NULL;
}

static void queue_close(struct queue *queue)
{
    /* BUG: the worker was never told to stop, and still waits. */
    pthread_cond_destroy(&queue->nonempty); /* @destroy */
    pthread_mutex_destroy(&queue->lock);
}

int main(void)
{
    pthread_t t;
    pthread_mutex_init(&q.lock, NULL);
    pthread_cond_init(&q.nonempty, NULL);
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    /* The worker sets worker_waiting under the lock and keeps the lock until
     * its wait releases it: once main sees the flag, the worker waits. */
    for (int waiting = 0; !waiting;) {
        pthread_mutex_lock(&q.lock);
        waiting = q.worker_waiting;
        pthread_mutex_unlock(&q.lock);
    }
    queue_close(&q);
    pthread_join(t, NULL);
    puts("closed");
    return 0;
}

// misuse_cancel_holding_fixed.c - threads cancelled in the middle of their
// work, with cleanup handlers that unlock: correct twin of
// misuse_cancel_holding.c.
//
// One worker locks `journal_lock` and waits on a semaphore; another waits on
// a condition variable under `queue_lock` (pthread_cond_wait is a
// cancellation point too, and a cancelled wait takes its mutex again before
// the cleanup handlers run).  Each pushed a cleanup handler that unlocks its
// mutex.  main cancels both, joins them, and then takes both mutexes, which
// are free again.  Nothing here is a bug.
//
// concwatch-expect: clean

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_filled = PTHREAD_COND_INITIALIZER;
static sem_t reply;
static int queue_length;

static void unlock_mutex(void *m)
{
    pthread_mutex_unlock(m);
}

static void *append_entry(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&journal_lock);
    pthread_cleanup_push(unlock_mutex, &journal_lock);
    sem_wait(&reply);
    pthread_cleanup_pop(1);
    return NULL;
}

static void *take_job(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&queue_lock);
    pthread_cleanup_push(unlock_mutex, &queue_lock);
    while (queue_length == 0)
        pthread_cond_wait(&queue_filled, &queue_lock);
    queue_length--;
    pthread_cleanup_pop(1);
    return NULL;
}

int main(void)
{
    pthread_t writer, consumer;

    sem_init(&reply, 0, 0);
    if (pthread_create(&writer, NULL, append_entry, NULL) != 0 ||
        pthread_create(&consumer, NULL, take_job, NULL) != 0)
        return 1;
    usleep(50 * 1000);   /* no reply and no job are coming: give up on both */
    pthread_cancel(writer);
    pthread_cancel(consumer);
    pthread_join(writer, NULL);
    pthread_join(consumer, NULL);

    pthread_mutex_lock(&journal_lock);
    pthread_mutex_lock(&queue_lock);
    pthread_mutex_unlock(&queue_lock);
    pthread_mutex_unlock(&journal_lock);
    puts("both workers cancelled, both locks free");
    return 0;
}

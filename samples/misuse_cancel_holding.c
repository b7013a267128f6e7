// misuse_cancel_holding.c - a thread cancelled while it holds a mutex.
//
// A worker locks `journal_lock`, then waits for a reply on a semaphore
// (sem_wait is a cancellation point).  main gives up on it and cancels it.
// The worker has no cleanup handler, so it ends with the mutex still locked:
// the next thread to take `journal_lock` would wait forever.  (This program
// does not take it again, so it exits 0 and the bug stays hidden.)
// The usual fix, pthread_cleanup_push of an unlock, is
// misuse_cancel_holding_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: is cancelled while holding mutex M1
// concwatch-expect-text: misuse_cancel_holding\.c:@line(locked)\b

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t reply;

static void *append_entry(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&journal_lock); /* @locked */
    sem_wait(&reply); /* BUG: cancelled here with journal_lock held */
    pthread_mutex_unlock(&journal_lock);
    return NULL;
}

int main(void)
{
    pthread_t worker;
    void *result;

    sem_init(&reply, 0, 0);
    if (pthread_create(&worker, NULL, append_entry, NULL) != 0)
        return 1;
    usleep(50 * 1000);   /* no reply is coming: give up on the worker */
    pthread_cancel(worker);
    pthread_join(worker, &result);
    printf("worker %s\n", result == PTHREAD_CANCELED ? "cancelled" : "finished");
    return 0;
}

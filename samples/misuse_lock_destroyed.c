// misuse_lock_destroyed.c - a mutex locked after it was destroyed.
//
// The logger's mutex is destroyed by logger_shutdown() while a worker still
// has a last message to log.  Locking a destroyed mutex is undefined; glibc
// marks destroyed mutexes and fails the lock with EINVAL, which log_line()
// ignores: the last message is written without the lock it meant to hold.
// The program exits 0.  One misuse: the lock of the destroyed mutex.
//
// Correct twin: misuse_lock_destroyed_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: locks mutex M1 that was destroyed
// concwatch-expect-text: misuse_lock_destroyed\.c:@line(lock)\b
// concwatch-expect-text: misuse_lock_destroyed\.c:@line(destroy)\b

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static pthread_mutex_t log_lock;
static sem_t started, late_message;
static int lines;

static void log_line(const char *text)
{
    pthread_mutex_lock(&log_lock); /* @lock */
    lines++;
    printf("log: %s\n", text);
    pthread_mutex_unlock(&log_lock);
}

static void logger_shutdown(void)
{
    pthread_mutex_destroy(&log_lock); /* @destroy */
}

static void *worker(void *arg)
{
    (void)arg;
    log_line("started");
    sem_post(&started);
    sem_wait(&late_message);
    log_line("finished");   /* after the shutdown */
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_mutex_init(&log_lock, NULL);
    sem_init(&started, 0, 0);
    sem_init(&late_message, 0, 0);
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    sem_wait(&started);
    logger_shutdown();   /* BUG: the worker still logs */
    sem_post(&late_message);
    pthread_join(t, NULL);
    return 0;
}

// misuse_lock_destroyed_fixed.c - the logger is shut down after the last
// thread that logs has ended: correct twin of misuse_lock_destroyed.c.
//
// concwatch-expect: clean

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static pthread_mutex_t log_lock;
static sem_t started, late_message;
static int lines;

static void log_line(const char *text)
{
    pthread_mutex_lock(&log_lock);
    lines++;
    printf("log: %s\n", text);
    pthread_mutex_unlock(&log_lock);
}

static void logger_shutdown(void)
{
    pthread_mutex_destroy(&log_lock);
}

static void *worker(void *arg)
{
    (void)arg;
    log_line("started");
    sem_post(&started);
    sem_wait(&late_message);
    log_line("finished");
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
    sem_post(&late_message);
    pthread_join(t, NULL);
    logger_shutdown();
    return 0;
}

// rwlock_writer_abba.c - ABBA where one side writes the rwlock.
//
// As in rwlock_readers.c, one thread takes the config rwlock then the stats
// mutex, the other the stats mutex then the config rwlock for reading.  But
// here the first thread updates the config and takes the rwlock for WRITING.
// A writer excludes readers: run at the same time, the reconfigure thread can
// hold the write lock and wait for the stats mutex while the stats thread
// holds the mutex and waits to read the config.  The threads run one after the
// other, so this run does not hang: the order is the bug.
//
// Correct twin: rwlock_readers.c.
//
// concwatch-expect: lock-order-inversion=1

#include <pthread.h>
#include <stdio.h>

static pthread_rwlock_t config_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int config_limit = 10;
static int stats_requests = 7;
static int stats_value;

static void *reconfigure(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&config_lock);
    pthread_mutex_lock(&stats_lock);
    config_limit = 20;
    if (stats_requests > config_limit)
        stats_requests = config_limit;
    pthread_mutex_unlock(&stats_lock);
    pthread_rwlock_unlock(&config_lock);
    return NULL;
}

static void *count_request(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&stats_lock);
    pthread_rwlock_rdlock(&config_lock);
    if (stats_requests < config_limit)
        stats_requests++;
    stats_value = stats_requests;
    pthread_rwlock_unlock(&config_lock);
    pthread_mutex_unlock(&stats_lock);
    return NULL;
}

int main(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, reconfigure, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    if (pthread_create(&t, NULL, count_request, NULL) != 0)
        return 1;
    pthread_join(t, NULL);

    printf("limit: %d, requests: %d\n", config_limit, stats_value);
    return 0;
}

// rwlock_readers.c - two locks in opposite orders, the rwlock only read: correct.
//
// The report thread takes the config rwlock for reading, then the stats mutex;
// the stats thread takes the stats mutex, then the config rwlock for reading.
// That looks like ABBA, but a read lock does not wait for another read lock:
// even run at the same time, the stats thread's rdlock succeeds while the
// report thread holds a read lock, so the cycle cannot close.  Nobody ever
// takes the rwlock for writing in this program.  The threads run one after the
// other, like abba.c.
//
// Buggy twin: rwlock_writer_abba.c.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

static pthread_rwlock_t config_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int config_limit = 10;
static int stats_requests = 7;
static int report_value, stats_value;

static void *report(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&config_lock);
    pthread_mutex_lock(&stats_lock);
    report_value = stats_requests * 100 / config_limit;
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

    if (pthread_create(&t, NULL, report, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    if (pthread_create(&t, NULL, count_request, NULL) != 0)
        return 1;
    pthread_join(t, NULL);

    printf("report: %d%%, requests: %d\n", report_value, stats_value);
    return 0;
}

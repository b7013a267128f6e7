// misuse_exit_holding.c - a thread ends while it still holds a mutex.
//
// record_job() locks the stats and returns early on an invalid job without
// unlocking: the classic forgotten unlock on an error path.  The worker stops
// at the first error, so it returns from its thread function still holding
// `stats_lock`.  Nothing waits for that lock afterwards (main only reads the
// totals after pthread_join()), so the run completes and exits 0, but any later
// pthread_mutex_lock(&stats_lock) would block forever.  One misuse: the thread
// exit with the lock held (its report must show where the lock was taken).
//
// Correct twin: misuse_exit_holding_fixed.c.
//
// concwatch-expect: misuse=1

#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static long total_size;
static int jobs_done;

static int record_job(int size)
{
    pthread_mutex_lock(&stats_lock);
    if (size <= 0)
        return -1; /* BUG: returns with stats_lock held */
    total_size += size;
    jobs_done++;
    pthread_mutex_unlock(&stats_lock);
    return 0;
}

static void *worker(void *arg)
{
    (void)arg;
    const int sizes[] = { 3, 7, 0, 5 };

    for (int i = 0; i < 4; i++)
        if (record_job(sizes[i]) != 0)
            break; /* give up at the first invalid job */
    return NULL;
}

int main(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    pthread_join(t, NULL);

    printf("jobs: %d, total size: %ld\n", jobs_done, total_size);
    return 0;
}

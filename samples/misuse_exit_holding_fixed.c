// misuse_exit_holding_fixed.c - the error path unlocks too: correct twin of
// misuse_exit_holding.c.
//
// record_job() unlocks the stats before returning on an invalid job, so the
// worker ends holding no lock, and main can still take the lock afterwards.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static long total_size;
static int jobs_done;

static int record_job(int size)
{
    pthread_mutex_lock(&stats_lock);
    if (size <= 0) {
        pthread_mutex_unlock(&stats_lock);
        return -1;
    }
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
            break;
    return NULL;
}

int main(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    pthread_join(t, NULL);

    pthread_mutex_lock(&stats_lock);
    printf("jobs: %d, total size: %ld\n", jobs_done, total_size);
    pthread_mutex_unlock(&stats_lock);
    return 0;
}

// misuse_cond_two_mutexes.c - two threads wait on one condition variable with
// two different mutexes at the same time.
//
// A shared `config_changed` condition is used by two modules, each with its
// own mutex: the cache waits on it holding `cache_lock`, the logger holding
// `log_lock`.  While a thread waits on a condition variable, POSIX binds the
// condition to the mutex it waits with; waiting on it with another mutex at
// the same time is undefined (glibc happens to cope).  Both waits overlap
// here: main starts the logger's wait only once the cache waits, then
// broadcasts the change until both have seen it.  One misuse: the second
// wait.
//
// Correct twin: misuse_cond_two_mutexes_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: waits on condition variable M1 with mutex M2 while T1 waits on it with mutex M3
// concwatch-expect-text: misuse_cond_two_mutexes\.c:@line(second)\b

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static pthread_cond_t config_changed = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int changed, seen;
static int cache_waiting, log_waiting;   /* under their module's lock */

static void *cache_module(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cache_lock);
    cache_waiting = 1;
    while (!atomic_load(&changed))
        pthread_cond_wait(&config_changed, &cache_lock);
    pthread_mutex_unlock(&cache_lock);
    atomic_fetch_add(&seen, 1);
    return NULL;
}

static void *log_module(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&log_lock);
    log_waiting = 1;
    while (!atomic_load(&changed))
        pthread_cond_wait(&config_changed, &log_lock); /* @second */
    pthread_mutex_unlock(&log_lock);
    atomic_fetch_add(&seen, 1);
    return NULL;
}

/* A module sets its flag under its lock and keeps the lock until its wait
 * releases it: once the flag is seen, the module waits. */
static void until_waiting(pthread_mutex_t *lock, int *flag)
{
    for (int waiting = 0; !waiting; usleep(1000)) {
        pthread_mutex_lock(lock);
        waiting = *flag;
        pthread_mutex_unlock(lock);
    }
}

int main(void)
{
    pthread_t cache, logger;
    if (pthread_create(&cache, NULL, cache_module, NULL) != 0)
        return 1;
    until_waiting(&cache_lock, &cache_waiting);
    if (pthread_create(&logger, NULL, log_module, NULL) != 0)
        return 1;
    until_waiting(&log_lock, &log_waiting);
    atomic_store(&changed, 1);
    while (atomic_load(&seen) < 2) {
        pthread_cond_broadcast(&config_changed);
        usleep(1000);
    }
    pthread_join(cache, NULL);
    pthread_join(logger, NULL);
    puts("both saw the change");
    return 0;
}

// misuse_cond_two_mutexes_fixed.c - every waiter of the condition uses the
// same mutex: correct twin of misuse_cond_two_mutexes.c.
//
// The condition `config_changed` belongs with `config_lock`: both modules
// wait on it holding that one mutex (their own locks protect their own data,
// not the change).  The waits overlap as in the buggy version.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static pthread_cond_t config_changed = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int changed, seen;
static int waiting;   /* under config_lock */

static void *module(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&config_lock);
    waiting++;
    while (!atomic_load(&changed))
        pthread_cond_wait(&config_changed, &config_lock);
    pthread_mutex_unlock(&config_lock);
    atomic_fetch_add(&seen, 1);
    return NULL;
}

static void until_waiting(int n)
{
    for (int w = 0; w < n; usleep(1000)) {
        pthread_mutex_lock(&config_lock);
        w = waiting;
        pthread_mutex_unlock(&config_lock);
    }
}

int main(void)
{
    pthread_t cache, logger;
    if (pthread_create(&cache, NULL, module, NULL) != 0)
        return 1;
    until_waiting(1);
    if (pthread_create(&logger, NULL, module, NULL) != 0)
        return 1;
    until_waiting(2);
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

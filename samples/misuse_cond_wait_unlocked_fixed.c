// misuse_cond_wait_unlocked_fixed.c - the consumer holds the mutex around its
// wait: correct twin of misuse_cond_wait_unlocked.c.
//
// The consumer locks `lock`, checks `ready` and waits in a loop, and unlocks
// after it: the wait releases the mutex while it sleeps and takes it back
// before it returns, so no wake-up can fall between the check and the sleep.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static atomic_int ready, about_to_wait, done;

static void *consumer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!atomic_load(&ready)) {
        atomic_store(&about_to_wait, 1);
        pthread_cond_wait(&ready_cond, &lock);
    }
    pthread_mutex_unlock(&lock);
    atomic_store(&done, 1);
    return NULL;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, consumer, NULL) != 0)
        return 1;
    while (!atomic_load(&about_to_wait))
        usleep(1000);
    while (!atomic_load(&done)) {
        pthread_mutex_lock(&lock);
        atomic_store(&ready, 1);
        pthread_cond_signal(&ready_cond);
        pthread_mutex_unlock(&lock);
        usleep(1000);
    }
    pthread_join(t, NULL);
    puts("consumed");
    return 0;
}

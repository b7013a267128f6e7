// misuse_cond_wait_foreign_mutex_fixed.c - the reloader takes the lock it
// waits with: correct twin of misuse_cond_wait_foreign_mutex.c.
//
// main does not hold settings_lock while it waits for the reloader; the
// reloader locks it around wait_for_change(), as that function requires, and
// the wait times out after 100 ms.
//
// concwatch-expect: clean

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t settings_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t settings_changed = PTHREAD_COND_INITIALIZER;
static int version;

/* Call with settings_lock held. */
static int wait_for_change(int seen)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 100 * 1000 * 1000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    int rc = 0;
    while (version == seen && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&settings_changed, &settings_lock, &deadline);
    return version;
}

static void *reloader(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&settings_lock);
    int v = wait_for_change(0);
    pthread_mutex_unlock(&settings_lock);
    printf("settings version %d\n", v);
    return NULL;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, reloader, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    return 0;
}

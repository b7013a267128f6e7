// misuse_cond_wait_foreign_mutex.c - a condition wait with a mutex that
// another thread holds.
//
// wait_for_change() must be called with `settings_lock` held (it waits up to
// 100 ms for the settings to change).  main holds that lock for its whole
// start-up, which includes starting the reloader thread and waiting for it to
// finish; the reloader calls wait_for_change() without taking the lock,
// believing its caller's lock covers it.  But the lock is main's, not its
// own: the wait "releases" a mutex another thread holds, and main's critical
// section is no longer exclusive.  Undefined behaviour; glibc releases it,
// and the wait times out and returns with the reloader holding it, which it
// then unlocks.  One misuse: the wait.  (main returns still believing it
// holds the lock; the program exits 0.)
//
// Correct twin: misuse_cond_wait_foreign_mutex_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: waits on condition variable M1 with mutex M2, which T0 holds
// concwatch-expect-text: misuse_cond_wait_foreign_mutex\.c:@line(wait)\b

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
        rc = pthread_cond_timedwait(&settings_changed, &settings_lock, &deadline); /* @wait */
    return version;
}

static void *reloader(void *arg)
{
    (void)arg;
    /* BUG: main's lock is not this thread's: settings_lock is not held here. */
    int v = wait_for_change(0);
    pthread_mutex_unlock(&settings_lock);   /* the timed-out wait returned with it locked */
    printf("settings version %d\n", v);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_mutex_lock(&settings_lock);   /* held for the whole start-up */
    if (pthread_create(&t, NULL, reloader, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    return 0;
}

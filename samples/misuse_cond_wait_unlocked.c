// misuse_cond_wait_unlocked.c - a condition wait with a mutex the thread does
// not hold.
//
// The consumer waits for `ready` on a condition variable, but its
// pthread_mutex_lock() before the loop was lost in a refactoring: it calls
// pthread_cond_wait() with `lock` not locked.  The wait is meant to release
// the mutex atomically with starting to sleep, which is what makes checking
// `ready` and sleeping one step; without it a wake-up can fall between the
// two and be lost (main wakes it until it answers, so this run ends).
// Undefined behaviour; glibc "unlocks" the unlocked mutex and waits, and
// returns with the mutex locked, which the unlock after the loop releases.
// The consumer always waits once (main sets `ready` only after the consumer
// said it is about to wait).  One misuse: the wait.
//
// Correct twin: misuse_cond_wait_unlocked_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: waits on condition variable M1 with mutex M2, which is not locked
// concwatch-expect-text: misuse_cond_wait_unlocked\.c:@line(wait)\b

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
    /* BUG: pthread_mutex_lock(&lock) is missing here. */
    while (!atomic_load(&ready)) {
        atomic_store(&about_to_wait, 1);
        pthread_cond_wait(&ready_cond, &lock); /* @wait */
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
    /* Wake it until it answers: the first wake-up may be lost. */
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

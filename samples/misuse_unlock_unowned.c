// misuse_unlock_unowned.c - a mutex unlocked by a thread that does not own it.
//
// Ported from Python, where any thread may release a Lock: main takes
// `job_lock` to mark the nightly job as running, and the worker releases it
// when the job is done.  A pthread mutex is owned by the thread that locked it;
// unlocking it from another thread is undefined behaviour.  glibc's default
// mutex does not check the owner: the unlock returns 0, really unlocks it, and
// the program exits 0.  With an error-checking, recursive, robust or
// priority-inheritance mutex the same unlock fails with EPERM and the lock
// stays held.  One misuse: the worker's unlock.  (main never touches the lock
// again, and holds nothing when it returns.)
//
// Correct twin: misuse_unlock_unowned_fixed.c (a semaphore, which has no owner).
//
// concwatch-expect: misuse=1

#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static int rows_exported;

static void *nightly_job(void *arg)
{
    (void)arg;
    rows_exported = 1234;
    pthread_mutex_unlock(&job_lock); /* BUG: main owns job_lock */
    return NULL;
}

int main(void)
{
    pthread_t t;

    pthread_mutex_lock(&job_lock); /* "the job is running" */
    if (pthread_create(&t, NULL, nightly_job, NULL) != 0)
        return 1;
    pthread_join(t, NULL);

    printf("rows exported: %d\n", rows_exported);
    return 0;
}

// misuse_unlock_unowned_fixed.c - "job done" signalled with a semaphore:
// correct twin of misuse_unlock_unowned.c.
//
// What the Python code meant by releasing a Lock from another thread is a
// signal, and in C that is a semaphore: it has a count, not an owner, so one
// thread may post it and another wait on it.  The worker posts `job_done` when
// the job is finished; main waits on it (then joins the worker).
//
// concwatch-expect: clean

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static sem_t job_done;
static int rows_exported;

static void *nightly_job(void *arg)
{
    (void)arg;
    rows_exported = 1234;
    sem_post(&job_done);
    return NULL;
}

int main(void)
{
    pthread_t t;

    sem_init(&job_done, 0, 0);
    if (pthread_create(&t, NULL, nightly_job, NULL) != 0)
        return 1;
    sem_wait(&job_done);
    printf("rows exported: %d\n", rows_exported);
    pthread_join(t, NULL);
    sem_destroy(&job_done);
    return 0;
}

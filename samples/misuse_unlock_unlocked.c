// misuse_unlock_unlocked.c - a mutex unlocked twice (unlock of an unlocked mutex).
//
// log_append() has a shared exit path that unlocks the log, and its "message
// too long" branch unlocks too before jumping there: on that path the mutex is
// unlocked twice.  Unlocking an unlocked mutex is undefined behaviour; glibc's
// default mutex returns 0 (an error-checking one returns EPERM), so the program
// exits 0, but the mutex's internal user count is now off by one (a later
// pthread_mutex_destroy() would fail with EBUSY).  The third message takes the
// bad path once: one misuse.
//
// Correct twin: misuse_unlock_unlocked_fixed.c.
//
// concwatch-expect: misuse=1

#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct log {
    pthread_mutex_t lock;
    char buf[32];
    size_t used;
};

static struct log journal = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int log_append(struct log *l, const char *msg)
{
    size_t len = strlen(msg);
    int rc = 0;

    pthread_mutex_lock(&l->lock);
    if (l->used + len > sizeof l->buf) {
        pthread_mutex_unlock(&l->lock); /* BUG: `out` unlocks as well */
        rc = -1;
        goto out;
    }
    memcpy(l->buf + l->used, msg, len);
    l->used += len;
out:
    pthread_mutex_unlock(&l->lock);
    return rc;
}

static void *writer(void *arg)
{
    int *failed = arg;
    const char *msgs[] = { "start;", "load config;", "this message does not fit;" };

    for (int i = 0; i < 3; i++)
        if (log_append(&journal, msgs[i]) != 0)
            (*failed)++;
    return NULL;
}

int main(void)
{
    pthread_t t;
    int failed = 0;

    if (pthread_create(&t, NULL, writer, &failed) != 0)
        return 1;
    pthread_join(t, NULL);

    printf("logged %zu bytes, %d message(s) dropped\n", journal.used, failed);
    return 0;
}

// misuse_unlock_unlocked_fixed.c - one unlock on every path: correct twin of
// misuse_unlock_unlocked.c.
//
// The "message too long" branch only sets the error and jumps to the shared
// exit path, which is the one place that unlocks the log.  Every path through
// log_append() locks once and unlocks once.
//
// concwatch-expect: clean

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
    return pthread_mutex_destroy(&journal.lock) == 0 ? 0 : 1;
}

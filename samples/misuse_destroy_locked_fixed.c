// misuse_destroy_locked_fixed.c - unlock, then destroy: correct twin of
// misuse_destroy_locked.c.
//
// When session_put() drops the last reference it unlocks the mutex before
// destroying it.  Nobody else can take the lock in between: the count is zero,
// so no other thread holds a pointer to the session.  pthread_mutex_destroy()
// now succeeds (it returns 0, checked), then the session is freed.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct session {
    pthread_mutex_t lock;
    int refs;
    int requests;
};

static int destroy_failed;

static struct session *session_new(int refs)
{
    struct session *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    pthread_mutex_init(&s->lock, NULL);
    s->refs = refs;
    return s;
}

static void session_put(struct session *s)
{
    pthread_mutex_lock(&s->lock);
    if (--s->refs == 0) {
        pthread_mutex_unlock(&s->lock);
        if (pthread_mutex_destroy(&s->lock) != 0)
            destroy_failed = 1;
        free(s);
        return;
    }
    pthread_mutex_unlock(&s->lock);
}

static void *handle_request(void *arg)
{
    struct session *s = arg;

    pthread_mutex_lock(&s->lock);
    s->requests++;
    pthread_mutex_unlock(&s->lock);
    session_put(s);
    return NULL;
}

int main(void)
{
    struct session *s = session_new(2);
    pthread_t t;

    if (pthread_create(&t, NULL, handle_request, s) != 0)
        return 1;
    pthread_join(t, NULL);

    printf("requests: %d\n", s->requests);
    session_put(s);
    return destroy_failed;
}

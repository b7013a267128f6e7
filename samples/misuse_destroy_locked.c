// misuse_destroy_locked.c - a mutex destroyed while it is locked.
//
// A reference-counted session: session_put() locks it, drops a reference and,
// when the count reaches zero, destroys the mutex and frees the session --
// while still holding the mutex it destroys.  Destroying a locked mutex is
// undefined behaviour; glibc refuses with EBUSY (ignored here) and the memory
// is freed anyway, so the program exits 0.  The worker drops its reference
// first (count 2 -> 1, an ordinary lock/unlock); main drops the last one.  One
// misuse: the destroy.  (After it the lock is gone, destroyed and freed: main
// does not hold it when it returns right after.)
//
// Correct twin: misuse_destroy_locked_fixed.c.
//
// concwatch-expect: misuse=1
// The lock lives on the heap: named by its type and where it was made.
// concwatch-expect-text: \n  M1 is field `lock` of a struct session \(initialised at [^)\n]*misuse_destroy_locked\.c:@line(init)\)\n

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct session {
    pthread_mutex_t lock;
    int refs;
    int requests;
};

static struct session *session_new(int refs)
{
    struct session *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    pthread_mutex_init(&s->lock, NULL); /* @init */
    s->refs = refs;
    return s;
}

static void session_put(struct session *s)
{
    pthread_mutex_lock(&s->lock);
    if (--s->refs == 0) {
        pthread_mutex_destroy(&s->lock); /* BUG: still locked */
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
    struct session *s = session_new(2); /* one reference for main, one for the worker */
    pthread_t t;

    if (pthread_create(&t, NULL, handle_request, s) != 0)
        return 1;
    pthread_join(t, NULL);

    printf("requests: %d\n", s->requests);
    session_put(s);
    return 0;
}

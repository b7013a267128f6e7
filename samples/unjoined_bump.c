// unjoined_bump.c - a worker and main each bump a global counter, 50 ms
// apart, with nothing ordering the two: a data race that never overlaps.
//
// The worker does its setup (20 ms) and counts one event; main goes on with
// its own work and counts one too, 50 ms later, and only then joins the
// worker.  The two increments never run at the same time, but no lock,
// semaphore, condition or join orders them: on another machine, or under
// another load, they may.  Tools that judge by happens-before (TSan,
// Helgrind) report this; a detector that waits for an overlap would not.
//
// Correct twin: unjoined_bump_joined.c (main joins first).
//
// concwatch-expect: data-race=1
// concwatch-expect-text: ['`]events['`] \(4 bytes\b
// concwatch-expect-text: \bworker\b[^\n]*unjoined_bump\.c:@line(worker)\b
// concwatch-expect-text: \bmain\b[^\n]*unjoined_bump\.c:@line(main)\b

#include <pthread.h>
#include <stdio.h>
#include <time.h>

static int events;

static void pause_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void *worker(void *arg)
{
    (void)arg;
    pause_ms(20);   /* setting up */
    events++; /* @worker */
    return NULL;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    pause_ms(70);
    events++; /* @main */  /* BUG: nothing orders this after the worker's increment */
    pthread_join(t, NULL);
    printf("events: %d\n", events);
    return 0;
}

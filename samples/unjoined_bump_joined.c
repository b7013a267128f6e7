// unjoined_bump_joined.c - the correct twin of unjoined_bump.c: main joins
// the worker before it counts its own event, so the worker's increment
// happens before main's (pthread_join orders everything the worker did).
//
// concwatch-expect: clean

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
    pause_ms(20);
    events++;
    return NULL;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    pause_ms(70);
    pthread_join(t, NULL);
    events++;
    printf("events: %d\n", events);
    return 0;
}

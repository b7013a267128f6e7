// flag_two_locks.c - a flag set under one mutex and read under another: a
// data race.
//
// A worker polls `shutdown_requested` every millisecond to know when to stop;
// main sets it after a while.  Each side "protects" the flag with a lock, but
// not the same one: main writes it holding `control_lock`, the worker reads it
// holding `poll_lock`.  Two different mutexes order nothing between the two
// threads, so the write and the reads run concurrently with no
// happens-before between them: a data race on one variable (one bug), whose
// two sides are the write in request_shutdown() and the read in
// should_stop().  The program still stops and exits 0 on x86, which is why
// such bugs survive.
//
// Correct version: both sides take the same mutex (or the flag is atomic).
//
// concwatch-expect: data-race=1
// concwatch-expect-text: \bshutdown_requested\b
// concwatch-expect-text: \brequest_shutdown\b.*flag_two_locks\.c:@line(write)\b
// concwatch-expect-text: \bshould_stop\b.*flag_two_locks\.c:@line(read)\b

#include <pthread.h>
#include <stdio.h>
#include <time.h>

static int shutdown_requested;
static pthread_mutex_t control_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t poll_lock = PTHREAD_MUTEX_INITIALIZER;
static long polls;

static void pause_ms(long ms)
{
    struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };
    nanosleep(&ts, NULL);
}

static void request_shutdown(void)
{
    pthread_mutex_lock(&control_lock);
    shutdown_requested = 1; /* @write */ /* BUG: the reader holds poll_lock */
    pthread_mutex_unlock(&control_lock);
}

static int should_stop(void)
{
    pthread_mutex_lock(&poll_lock);
    int stop = shutdown_requested; /* @read */
    pthread_mutex_unlock(&poll_lock);
    return stop;
}

static void *poller(void *arg)
{
    (void)arg;
    while (!should_stop()) {
        polls++; /* only this thread touches polls until main joins */
        pause_ms(1);
    }
    return NULL;
}

int main(void)
{
    pthread_t t;

    if (pthread_create(&t, NULL, poller, NULL) != 0)
        return 1;
    pause_ms(50); /* let the poller run a while */
    request_shutdown();
    pthread_join(t, NULL);
    printf("stopped after %ld polls\n", polls);
    return 0;
}

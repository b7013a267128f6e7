// main_pthread_exit.c - main ends with pthread_exit(NULL) while a worker
// still runs: correct (a textbook idiom).
//
// main starts a worker and calls pthread_exit(NULL) instead of returning or
// joining.  The process goes on as long as any thread of it is left; when
// the worker returns, the last thread is gone and glibc ends the process
// with exit(0): the handler main registered with atexit() runs then, and
// the status is 0.  A tool running threads of its own inside the program
// must neither keep it alive after that nor end it earlier.
//
// concwatch-expect: clean
// concwatch-expect-text: atexit handler ran after the worker \(it logged 3 entries\)

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int logged;

static void pause_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        pause_ms(70);   /* main is long gone by now */
        pthread_mutex_lock(&log_lock);
        logged++;
        pthread_mutex_unlock(&log_lock);
    }
    return NULL;
}

static void report_at_exit(void)
{
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "atexit handler ran after the worker (it logged %d entries)\n", logged);
    pthread_mutex_unlock(&log_lock);
}

int main(void)
{
    atexit(report_at_exit);
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    pthread_detach(t);
    pthread_exit(NULL);   /* the process lives on in the worker */
}

// signal_storm.c - locks taken while signals keep interrupting: correct.
//
// Two workers take two mutexes in one global order, 2 000 000 times each, while
// a 2 kHz interval timer interrupts them.  The SIGALRM handler posts a
// semaphore (sem_post is async-signal-safe) that a third thread waits on,
// counting ticks, and counts its posts in an atomic (handlers can run on two
// threads at once).  The handler runs wherever the timer lands: inside the
// workers' critical sections, inside pthread_mutex_lock itself, inside main's
// join.  The counting thread blocks SIGALRM, so once main has stopped the
// timer and joined the workers no handler can post any more: main then
// tells the counter how many posts there are in all, its own last one
// included, and posts that last one.  Nothing here is a bug: a detector must
// neither report anything, nor lose a post, nor change the results.
//
// concwatch-expect: clean

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#define ROUNDS 2000000

static pthread_mutex_t first = PTHREAD_MUTEX_INITIALIZER, second = PTHREAD_MUTEX_INITIALIZER;
static long total;
static sem_t ticks;
static atomic_long posted;
static atomic_int stop_ticking;
static atomic_long last_post;  /* posts in all, main's last one included; 0 = not yet known */

static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno;
    if (!atomic_load(&stop_ticking) && sem_post(&ticks) == 0)
        atomic_fetch_add(&posted, 1);
    errno = saved;
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&first);
        pthread_mutex_lock(&second);
        total++;
        pthread_mutex_unlock(&second);
        pthread_mutex_unlock(&first);
    }
    return NULL;
}

static void *tick_counter(void *arg)
{
    long *counted = arg;
    sigset_t alarm;
    sigemptyset(&alarm);
    sigaddset(&alarm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alarm, NULL);
    for (long consumed = 1;; consumed++) {
        while (sem_wait(&ticks) != 0 && errno == EINTR)
            ;
        if (consumed == atomic_load(&last_post))
            return NULL;   /* main's last post: every tick before it was counted */
        ++*counted;
    }
}

int main(void)
{
    pthread_t w1, w2, counter;
    long counted = 0;

    sem_init(&ticks, 0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    if (pthread_create(&counter, NULL, tick_counter, &counted) != 0)
        return 1;
    struct itimerval every = { { 0, 500 }, { 0, 500 } };
    setitimer(ITIMER_REAL, &every, NULL);
    if (pthread_create(&w1, NULL, worker, NULL) != 0 || pthread_create(&w2, NULL, worker, NULL) != 0)
        return 1;
    pthread_join(w1, NULL);
    pthread_join(w2, NULL);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    atomic_store(&stop_ticking, 1);
    atomic_store(&last_post, atomic_load(&posted) + 1);
    sem_post(&ticks);
    pthread_join(counter, NULL);

    printf("total %ld of %d, %ld ticks posted, %ld counted\n", total, 2 * ROUNDS, atomic_load(&posted), counted);
    return total == 2 * ROUNDS && counted == atomic_load(&posted) ? 0 : 1;
}

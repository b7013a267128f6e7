// semaphore_limiter.c - a counting semaphore limits concurrency: correct.
//
// Eight download workers share a connection pool of three: each waits on the
// semaphore `slots` (initialised to 3) before downloading and posts it after.
// At most three workers are inside at once; the others wait their turn.  A
// mutex protects the in-flight counter that measures this.  A semaphore has no
// owner and its count may go up and down from any thread: none of this is a
// lock-order problem or a misuse.
//
// concwatch-expect: clean

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>

#define WORKERS 8
#define POOL 3

static sem_t slots;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int in_flight, max_in_flight, downloads;

static void download(int id)
{
    struct timespec pause = { 0, 2000000 + id * 100000 }; /* 2-3 ms */

    pthread_mutex_lock(&stats_lock);
    if (++in_flight > max_in_flight)
        max_in_flight = in_flight;
    pthread_mutex_unlock(&stats_lock);

    nanosleep(&pause, NULL);

    pthread_mutex_lock(&stats_lock);
    in_flight--;
    downloads++;
    pthread_mutex_unlock(&stats_lock);
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;

    for (int i = 0; i < 4; i++) {
        sem_wait(&slots);
        download(id);
        sem_post(&slots);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[WORKERS];

    sem_init(&slots, 0, POOL);
    for (long i = 0; i < WORKERS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
            return 1;
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    sem_destroy(&slots);

    printf("downloads: %d, at most %d at once (pool of %d)\n", downloads, max_in_flight, POOL);
    return downloads == WORKERS * 4 && max_in_flight <= POOL ? 0 : 1;
}

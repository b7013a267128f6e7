// A program whose heap grows and shrinks (brk) while other threads take turns
// at a global under a mutex: under software watchpoints the global's page is
// protected, and every brk passes the system-call guard while it is.  The
// guard took its page lock twice for brk (a spin lock: the program hung
// forever, SIGTERM too).  Natively: prints "brk 20000 ok", exit status 0.
#define _DEFAULT_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define THREADS 4
#define PAIRS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long total;
static long counted[THREADS];
static int stop;

static void *worker(void *arg)
{
    long *mine = arg;
    for (int done = 0; !done;) {
        pthread_mutex_lock(&lock);
        done = stop;
        total += !done;
        pthread_mutex_unlock(&lock);
        *mine += !done;
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, &counted[i]);
    long page = sysconf(_SC_PAGESIZE);
    int pairs = 0;
    /* The heap's top one page up and down, a brk each time, while they run. */
    for (; pairs < PAIRS; pairs++)
        if (sbrk(page) == (void *)-1 || sbrk(-page) == (void *)-1) {
            perror("sbrk");
            return 1;
        }
    pthread_mutex_lock(&lock);
    stop = 1;
    pthread_mutex_unlock(&lock);
    long sum = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        sum += counted[i];
    }
    printf("brk %d %s\n", pairs, sum == total ? "ok" : "lost updates");
    return sum == total ? 0 : 1;
}

// misuse_barrier_wait_destroyed.c - a barrier waited on after it was
// destroyed.
//
// The barrier `phase` is initialised once and destroyed by shutdown_phases()
// after the first run -- but main then runs the workers a second time, and
// they meet at the destroyed barrier.  Using a destroyed barrier is undefined
// (glibc does not notice: its fields are still there, so this run works).
// One misuse, at the first wait on the destroyed barrier.
//
// Correct twin: misuse_barrier_wait_destroyed_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: waits at barrier M1, which was destroyed
// concwatch-expect-text: misuse_barrier_wait_destroyed\.c:@line(wait)\b
// concwatch-expect-text: misuse_barrier_wait_destroyed\.c:@line(destroy)\b

#include <pthread.h>
#include <stdio.h>

static pthread_barrier_t phase;

static void *worker(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&phase); /* @wait */
    return NULL;
}

static void run(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, worker, NULL);
    pthread_create(&b, NULL, worker, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
}

static void shutdown_phases(void)
{
    pthread_barrier_destroy(&phase); /* @destroy */
}

int main(void)
{
    pthread_barrier_init(&phase, NULL, 2);
    run();
    shutdown_phases();
    run();   /* BUG: the barrier is gone */
    puts("done");
    return 0;
}

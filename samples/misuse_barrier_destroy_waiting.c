// misuse_barrier_destroy_waiting.c - a barrier destroyed while a thread waits
// at it.
//
// Two stages meet at a barrier for two before each step.  The second stage
// quits early when it has no input -- and, as its clean-up, destroys the
// shared barrier, while the first stage already waits there for it.
// Destroying a barrier that threads wait at is undefined; glibc's
// pthread_barrier_destroy waits for the threads in the barrier to leave, and
// they wait for a round that can no longer fill: the program hangs in the
// destroy.  One misuse, reported when the destroy is called; concwatch then
// ends the hung program without a second finding.
//
// Natively the program hangs: never run it without concwatch.
// Correct twin: misuse_barrier_destroy_waiting_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: destroys barrier M1 while T1 waits at it
// concwatch-expect-text: misuse_barrier_destroy_waiting\.c:@line(destroy)\b
// concwatch-expect-text: misuse_barrier_destroy_waiting\.c:@line(wait)\b

#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_barrier_t step;
static atomic_int first_tid;

/* Until the thread sleeps in the kernel: then it is inside its wait. */
static void until_asleep(pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    for (int asleep = 0; asleep < 3; usleep(2000)) {
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = '\0';
        char *paren = strrchr(buf, ')');
        asleep = paren && paren[1] == ' ' && paren[2] == 'S' ? asleep + 1 : 0;
    }
}

static void *first_stage(void *arg)
{
    (void)arg;
    atomic_store(&first_tid, gettid());
    pthread_barrier_wait(&step); /* @wait */
    return NULL;
}

static void *second_stage(void *arg)
{
    int have_input = *(int *)arg;
    if (!have_input) {
        pthread_barrier_destroy(&step); /* @destroy */
        return NULL;
    }
    pthread_barrier_wait(&step);
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    int have_input = 0;
    pthread_barrier_init(&step, NULL, 2);
    if (pthread_create(&a, NULL, first_stage, NULL) != 0)
        return 1;
    while (!atomic_load(&first_tid))
        usleep(1000);
    until_asleep(atomic_load(&first_tid));
    if (pthread_create(&b, NULL, second_stage, &have_input) != 0)
        return 1;
    pthread_join(b, NULL);
    pthread_join(a, NULL);
    puts("done");
    return 0;
}

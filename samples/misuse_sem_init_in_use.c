// misuse_sem_init_in_use.c - a semaphore initialised again while a thread
// waits on it.
//
// Each batch starts with reset_batch(), which "resets" the semaphore
// `work_ready` to 0 with sem_init() -- while the worker from the previous
// batch is already waiting on it.  Initialising a semaphore that is in use is
// undefined; glibc forgets that a thread waits, so the post that follows adds
// a token but wakes nobody: the worker sleeps for ever and main waits for it
// in pthread_join().  One misuse, reported at the sem_init; concwatch then
// ends the hung program without a second finding.
//
// Natively the program hangs: never run it without concwatch.
// Correct twin: misuse_sem_init_in_use_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: initialises semaphore M1 while T1 waits on it
// concwatch-expect-text: misuse_sem_init_in_use\.c:@line(init)\b
// concwatch-expect-text: misuse_sem_init_in_use\.c:@line(wait)\b

#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static sem_t work_ready;
static atomic_int worker_tid;

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

static void *worker(void *arg)
{
    (void)arg;
    atomic_store(&worker_tid, gettid());
    sem_wait(&work_ready); /* @wait */
    puts("working");
    return NULL;
}

static void reset_batch(void)
{
    sem_init(&work_ready, 0, 0); /* @init */
}

int main(void)
{
    pthread_t t;
    sem_init(&work_ready, 0, 0);
    if (pthread_create(&t, NULL, worker, NULL) != 0)
        return 1;
    while (!atomic_load(&worker_tid))
        usleep(1000);
    until_asleep(atomic_load(&worker_tid));
    reset_batch();
    sem_post(&work_ready);
    pthread_join(t, NULL);
    return 0;
}

// misuse_sem_destroy_waiting.c - a semaphore destroyed while a thread waits
// on it.
//
// The consumer waits on `items` for the next item.  At shutdown, main destroys
// the semaphore -- without posting a "stop" item first -- and then waits for
// the consumer.  Destroying a semaphore that threads wait on is undefined
// (glibc lets it), and nothing can post it any more: the consumer waits for
// ever, and main in pthread_join().  One misuse, reported at the destroy;
// concwatch then ends the hung program without a second finding.
//
// Natively the program hangs: never run it without concwatch.
// Correct twin: misuse_sem_destroy_waiting_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: destroys semaphore M1 while T1 waits on it
// concwatch-expect-text: misuse_sem_destroy_waiting\.c:@line(destroy)\b

#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static sem_t items;
static atomic_int consumer_tid;

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

static void *consumer(void *arg)
{
    (void)arg;
    atomic_store(&consumer_tid, gettid());
    sem_wait(&items);
    puts("got an item");
    return NULL;
}

int main(void)
{
    pthread_t t;
    sem_init(&items, 0, 0);
    if (pthread_create(&t, NULL, consumer, NULL) != 0)
        return 1;
    while (!atomic_load(&consumer_tid))
        usleep(1000);
    until_asleep(atomic_load(&consumer_tid));
    sem_destroy(&items); /* @destroy */
    pthread_join(t, NULL);
    return 0;
}

// semaphore_abba.c - ABBA with binary semaphores used as locks.
//
// A semaphore initialised to 1 and taken with sem_wait / given back with
// sem_post is a lock (CPython's threading.Lock is exactly that).  Here
// copy_file() takes the source disk's semaphore, then the destination's.
// One thread copies disk A -> B, and only after it is joined does another
// copy B -> A, so this run never hangs; but run together each could hold its
// first semaphore and wait forever for the second.  The order alone is the
// bug: one cycle of two semaphores.
//
// concwatch-expect: lock-order-inversion=1
// concwatch-expect-text: \bcopy_file\b

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static sem_t disk_a, disk_b;
static int copies;

__attribute__((noinline)) static void copy_file(sem_t *from, sem_t *to)
{
    sem_wait(from);
    sem_wait(to);
    copies++;
    sem_post(to);
    sem_post(from);
}

static void *copy_a_to_b(void *arg) { (void)arg; copy_file(&disk_a, &disk_b); return NULL; }
static void *copy_b_to_a(void *arg) { (void)arg; copy_file(&disk_b, &disk_a); return NULL; }

int main(void)
{
    pthread_t t;
    sem_init(&disk_a, 0, 1);
    sem_init(&disk_b, 0, 1);
    pthread_create(&t, NULL, copy_a_to_b, NULL);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, copy_b_to_a, NULL);
    pthread_join(t, NULL);
    printf("copies: %d\n", copies);
    sem_destroy(&disk_a);
    sem_destroy(&disk_b);
    return 0;
}

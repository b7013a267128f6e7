// malloc_free_pairs: COUNT malloc(64)/free pairs (default 10 000 000), the
// cost of the shim's free() interception (events/lock_pages.h).  A few heap
// mutexes are initialised first, so that the shim's lock-page filter is in
// use, as in a real program.  With "held", every pair runs while the thread
// holds a mutex (the held-lock check of free() is then not empty).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *volatile sink;   /* keeps the compiler from eliding the pairs */

struct object {
    pthread_mutex_t lock;
    char data[24];
};

int main(int argc, char **argv)
{
    long count = argc > 1 ? atol(argv[1]) : 10000000L;
    int held = argc > 2 && strcmp(argv[2], "held") == 0;
    struct object *objects[16];
    for (int i = 0; i < 16; i++) {
        objects[i] = malloc(sizeof *objects[i]);
        pthread_mutex_init(&objects[i]->lock, NULL);
    }
    if (held)
        pthread_mutex_lock(&objects[0]->lock);
    unsigned long sum = 0;
    for (long i = 0; i < count; i++) {
        sink = malloc(64);
        sink[0] = (char)i;
        sum += (unsigned char)sink[0];
        free(sink);
    }
    if (held)
        pthread_mutex_unlock(&objects[0]->lock);
    for (int i = 0; i < 16; i++) {
        pthread_mutex_destroy(&objects[i]->lock);
        free(objects[i]);
    }
    printf("%lu\n", sum);
    return 0;
}

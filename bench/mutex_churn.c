// mutex_churn: create and destroy COUNT distinct heap mutexes (default 1 000 000),
// two at a time: malloc+init both, lock the outer, lock the inner, unlock both,
// destroy+free both.  malloc hands the same addresses back, so this measures the
// cost of registering and forgetting locks (and of telling reused memory apart).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long count = argc > 1 ? atol(argv[1]) : 1000000L;
    unsigned long nested = 0;
    for (long i = 0; i < count / 2; i++) {
        pthread_mutex_t *outer = malloc(sizeof *outer);
        pthread_mutex_t *inner = malloc(sizeof *inner);
        if (!outer || !inner) {
            perror("malloc");
            return 1;
        }
        pthread_mutex_init(outer, NULL);
        pthread_mutex_init(inner, NULL);
        pthread_mutex_lock(outer);
        pthread_mutex_lock(inner);
        nested++;
        pthread_mutex_unlock(inner);
        pthread_mutex_unlock(outer);
        pthread_mutex_destroy(inner);
        pthread_mutex_destroy(outer);
        free(inner);
        free(outer);
    }
    if (nested != (unsigned long)(count / 2)) {
        fprintf(stderr, "mutex_churn: %lu nestings, expected %ld\n", nested, count / 2);
        return 1;
    }
    return 0;
}

// rwlock_write_side.c - the correct twin of rwlock_read_side_race.c: the
// counter is updated under the write lock, which excludes every other holder.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static long lookups;

static void lookup(void)
{
    pthread_rwlock_wrlock(&table_lock);
    lookups++;
    pthread_rwlock_unlock(&table_lock);
}

static void *reader(void *arg)
{
    (void)arg;
    for (long i = 0; i < 300000; i++)
        lookup();
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    if (pthread_create(&a, NULL, reader, NULL) != 0 || pthread_create(&b, NULL, reader, NULL) != 0)
        return 1;
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("lookups: %ld\n", lookups);
    return 0;
}

// rwlock_read_side_race.c - two threads update a counter holding only the
// read side of an rwlock: readers do not exclude each other, so the
// updates race.
//
// Both threads take `table_lock` with pthread_rwlock_rdlock (it is a lookup
// table, mostly read) and then bump `lookups`, 2 million times each.  Two
// readers hold the lock at once, so nothing orders their writes.
//
// Correct twin: rwlock_write_side.c (the counter is updated under the write
// lock).
//
// concwatch-expect: data-race=1
// concwatch-expect-text: ['`]lookups['`] \(8 bytes\b
// concwatch-expect-text: #0 lookup [^ ]*rwlock_read_side_race\.c:@line(bump)\b

#include <pthread.h>
#include <stdio.h>

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static long lookups;

static void lookup(void)
{
    pthread_rwlock_rdlock(&table_lock);
    lookups++; /* @bump */  /* BUG: a write under the read lock */
    pthread_rwlock_unlock(&table_lock);
}

static void *reader(void *arg)
{
    (void)arg;
    for (long i = 0; i < 2000000; i++)
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
    printf("lookups: %ld (4000000 if none was lost)\n", lookups);
    return 0;
}

// misuse_rwlock_unlock_unlocked_fixed.c - one unlock on every path: correct
// twin of misuse_rwlock_unlock_unlocked.c.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

static pthread_rwlock_t table_lock;
static int keys[4] = { 3, 5, 8, 13 };

static int lookup(int key)
{
    int found = -1;
    pthread_rwlock_rdlock(&table_lock);
    for (int i = 0; i < 4 && found < 0; i++)
        if (keys[i] == key)
            found = i;
    pthread_rwlock_unlock(&table_lock);
    return found;
}

static void *reader(void *arg)
{
    int *found = arg;
    *found = (lookup(5) >= 0) + (lookup(7) >= 0);
    return NULL;
}

int main(void)
{
    pthread_t t;
    int found = 0;
    pthread_rwlock_init(&table_lock, NULL);
    if (pthread_create(&t, NULL, reader, &found) != 0)
        return 1;
    pthread_join(t, NULL);
    pthread_rwlock_destroy(&table_lock);
    printf("found %d\n", found);
    return 0;
}

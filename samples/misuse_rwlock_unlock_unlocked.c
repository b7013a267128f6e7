// misuse_rwlock_unlock_unlocked.c - an rwlock unlocked once too often, then
// destroyed: one bug, one finding.
//
// lookup() read-locks the table and unlocks it on every path -- and its
// "not found" path unlocks a second time.  Unlocking an rwlock nobody holds
// is undefined; glibc's count of readers goes wrong by one, so that the
// table's final pthread_rwlock_destroy() sees a lock that looks held.  That
// is the same bug showing again, not a second one: one misuse, the extra
// unlock.
//
// Correct twin: misuse_rwlock_unlock_unlocked_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: unlocks rwlock M1 that is not locked
// concwatch-expect-text: misuse_rwlock_unlock_unlocked\.c:@line(extra)\b

#include <pthread.h>
#include <stdio.h>

static pthread_rwlock_t table_lock;
static int keys[4] = { 3, 5, 8, 13 };

static int lookup(int key)
{
    pthread_rwlock_rdlock(&table_lock);
    for (int i = 0; i < 4; i++)
        if (keys[i] == key) {
            pthread_rwlock_unlock(&table_lock);
            return i;
        }
    pthread_rwlock_unlock(&table_lock);
    pthread_rwlock_unlock(&table_lock); /* @extra */
    return -1;
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

// robust_owner_dies.c - a robust mutex whose owner ends while holding it:
// correct, by design.
//
// A robust mutex exists for this case: its owner may die (a crashed worker,
// a killed process sharing it) while holding it, and the next thread to lock
// it gets EOWNERDEAD instead of waiting forever, repairs the state it
// protects and calls pthread_mutex_consistent().  Here a worker takes the
// robust `table_lock` and ends without unlocking (as if it had crashed);
// main recovers it.  Unlike misuse_exit_holding.c (a plain mutex, where the
// next locker would hang), nothing here is a bug.
//
// concwatch-expect: clean

#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t table_lock;
static int table_entries;

static void *crashing_writer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&table_lock);
    table_entries++;
    return NULL;   /* "crashes" while holding table_lock */
}

int main(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&table_lock, &attr);
    pthread_mutexattr_destroy(&attr);

    pthread_t writer;
    if (pthread_create(&writer, NULL, crashing_writer, NULL) != 0)
        return 1;
    pthread_join(writer, NULL);

    int rc = pthread_mutex_lock(&table_lock);
    if (rc == EOWNERDEAD) {
        table_entries = 0;   /* repair: the writer may have left the table half-done */
        pthread_mutex_consistent(&table_lock);
    } else if (rc != 0) {
        return 1;
    }
    pthread_mutex_unlock(&table_lock);
    pthread_mutex_destroy(&table_lock);
    printf("recovered the table lock (%s)\n", rc == EOWNERDEAD ? "EOWNERDEAD" : "no owner died");
    return rc == EOWNERDEAD ? 0 : 1;
}

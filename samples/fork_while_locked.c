// fork_while_locked.c - fork() while another thread holds a lock, then use
// locks in both processes.
//
// A worker holds `journal` while main forks.  The child starts with only the
// forking thread: it must not inherit "held by the worker" as its own hold, it
// re-initialises `journal` (the POSIX-sanctioned way after fork in a threaded
// program) and nests two locks; the parent joins the worker and nests the
// same two locks in the same order.  Nothing here is a bug: the tool must stay
// silent in both processes and must not hang either of them (its own locks
// and its watcher thread do not survive fork).
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t journal = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t holding;
static pthread_barrier_t forked;
static int entries;

static void *journal_writer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&journal);
    pthread_barrier_wait(&holding);   /* main forks while we hold it */
    pthread_barrier_wait(&forked);
    entries++;
    pthread_mutex_unlock(&journal);
    return NULL;
}

__attribute__((noinline)) static void append_indexed(void)
{
    pthread_mutex_lock(&journal);
    pthread_mutex_lock(&index_lock);
    entries++;
    pthread_mutex_unlock(&index_lock);
    pthread_mutex_unlock(&journal);
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&holding, NULL, 2);
    pthread_barrier_init(&forked, NULL, 2);
    pthread_create(&t, NULL, journal_writer, NULL);
    pthread_barrier_wait(&holding);

    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_init(&journal, NULL);   /* the holder does not exist here */
        append_indexed();
        _exit(entries == 1 ? 0 : 1);
    }
    pthread_barrier_wait(&forked);
    pthread_join(t, NULL);
    append_indexed();

    int status = 0;
    waitpid(pid, &status, 0);
    printf("parent entries: %d, child %s\n", entries, WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "failed");
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

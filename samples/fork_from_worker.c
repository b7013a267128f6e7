// fork_from_worker.c - fork() from a worker thread, and the child ends when
// its last thread does: correct.
//
// The shape of CPython's test_3_join_in_forked_from_thread, in C.  main
// starts a worker; the worker forks.  In the child the forking worker is the
// only thread (and the process leader); it starts a thread of its own, joins
// it, and returns from its start routine: that was the child's last thread,
// so glibc ends the child with exit(0), running its atexit handlers.  The
// parent's worker waits for the child and checks that it exited 0; main
// joins the worker.  A tool's own threads started in the child (it created a
// thread there) must not keep the child alive, or the parent waits forever.
//
// concwatch-expect: clean
// concwatch-expect-text: child: atexit handler ran, 2 threads done
// concwatch-expect-text: parent: child exited with status 0

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static int done;

static void *child_helper(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&done_lock);
    done++;
    pthread_mutex_unlock(&done_lock);
    return NULL;
}

static void child_at_exit(void)
{
    fprintf(stderr, "child: atexit handler ran, %d threads done\n", done);
}

static void *forking_worker(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid < 0)
        return (void *)1;
    if (pid == 0) {
        atexit(child_at_exit);
        pthread_t t;
        if (pthread_create(&t, NULL, child_helper, NULL) != 0)
            _exit(3);
        pthread_join(t, NULL);
        pthread_mutex_lock(&done_lock);
        done++;   /* this thread, about to end */
        pthread_mutex_unlock(&done_lock);
        return NULL;   /* the child's last thread ends: the child exits 0 */
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return (void *)1;
    fprintf(stderr, "parent: child exited with status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? NULL : (void *)1;
}

int main(void)
{
    pthread_t t;
    void *failed;
    if (pthread_create(&t, NULL, forking_worker, NULL) != 0 || pthread_join(t, &failed) != 0)
        return 1;
    return failed ? 1 : 0;
}

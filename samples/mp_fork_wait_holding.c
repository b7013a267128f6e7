// mp_fork_wait_holding.c - a parent waits for its child while holding the
// process-shared mutex the child needs: a real deadlock across processes.
//
// The parent locks the shared tally's mutex, forks a worker that adds to the
// tally under the same mutex, and waits for the worker before unlocking.
// The worker blocks on the mutex for ever, the parent in waitpid for ever.
// The worker's only thread is the one that forked: nothing else started the
// hang watcher in it, its first lock of the process-shared mutex does (and
// must, on the lock's fast path too).
//
// Natively the program hangs: never run it without concwatch.  Under
// concwatch: one deadlock, the worker waiting for the mutex.
//
// concwatch-expect: deadlock=1
// concwatch-expect-text: mp_fork_wait_holding\.c:@line(worker_lock)\b

#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct tally {
    pthread_mutex_t lock;
    long total;
};

int main(void)
{
    struct tally *t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (t == MAP_FAILED)
        return 1;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&t->lock, &attr);

    pthread_mutex_lock(&t->lock);
    t->total = 1;
    pid_t worker = fork();
    if (worker == 0) {
        pthread_mutex_lock(&t->lock); /* @worker_lock */
        t->total += 10;
        pthread_mutex_unlock(&t->lock);
        _exit(0);
    }
    waitpid(worker, NULL, 0);   /* still holding t->lock: the worker never gets it */
    pthread_mutex_unlock(&t->lock);
    return t->total == 11 ? 0 : 1;
}

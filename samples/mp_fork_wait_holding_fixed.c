// mp_fork_wait_holding_fixed.c - the correct twin of mp_fork_wait_holding.c:
// the parent unlocks the process-shared mutex before it waits for the worker.
//
// concwatch-expect: clean

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
        pthread_mutex_lock(&t->lock);
        t->total += 10;
        pthread_mutex_unlock(&t->lock);
        _exit(0);
    }
    pthread_mutex_unlock(&t->lock);   /* before waiting for the worker */
    waitpid(worker, NULL, 0);
    return t->total == 11 ? 0 : 1;
}

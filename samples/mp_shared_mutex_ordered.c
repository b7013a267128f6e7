// mp_shared_mutex_ordered.c - two processes take two process-shared mutexes
// in one order: correct twin of mp_shared_mutex_abba.c.
//
// Both workers lock the ledger first, then the audit log: one order in every
// process, so no two can wait for each other.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct ledger {
    pthread_mutex_t ledger_lock;
    pthread_mutex_t log_lock;
    long balance;
    long log_entries;
};

static void post(struct ledger *l)
{
    pthread_mutex_lock(&l->ledger_lock);
    pthread_mutex_lock(&l->log_lock);
    l->balance += 10;
    l->log_entries++;
    pthread_mutex_unlock(&l->log_lock);
    pthread_mutex_unlock(&l->ledger_lock);
}

static void audit(struct ledger *l)
{
    pthread_mutex_lock(&l->ledger_lock);
    pthread_mutex_lock(&l->log_lock);
    l->log_entries++;
    pthread_mutex_unlock(&l->log_lock);
    pthread_mutex_unlock(&l->ledger_lock);
}

static pid_t run(void (*work)(struct ledger *), struct ledger *l)
{
    pid_t pid = fork();
    if (pid == 0) {
        work(l);
        _exit(0);
    }
    return pid;
}

int main(void)
{
    struct ledger *l = mmap(NULL, sizeof *l, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (l == MAP_FAILED)
        return 1;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&l->ledger_lock, &attr);
    pthread_mutex_init(&l->log_lock, &attr);
    pid_t a = run(post, l), b = run(audit, l);   /* at the same time: one order, no deadlock */
    int sa = 0, sb = 0;
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    printf("balance %ld, %ld log entries\n", l->balance, l->log_entries);
    return sa != 0 || sb != 0;
}

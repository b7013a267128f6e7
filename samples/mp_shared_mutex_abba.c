// mp_shared_mutex_abba.c - two processes take two process-shared mutexes in
// opposite orders.
//
// A shared-memory ledger: the parent maps one page MAP_SHARED, puts two
// PTHREAD_PROCESS_SHARED mutexes in it (the ledger's and the audit log's),
// and forks two workers.  The posting worker locks the ledger, then the log;
// the audit worker locks the log, then the ledger.  They are the same two
// locks in both processes: run at the same time, each worker can take its
// first lock and wait for ever for the other's.  Here the audit worker starts
// only after the posting worker has ended, so this run never hangs; no single
// process ever takes both orders, so only the two processes' orders together
// make the cycle.  One lock-order-inversion, across the two processes.
//
// Correct twin: mp_shared_mutex_ordered.c (both in one order).
//
// concwatch-expect: lock-order-inversion=1
// concwatch-expect-text: in the lock order of processes
// concwatch-expect-text: mp_shared_mutex_abba\.c:@line(post_inner)\b
// concwatch-expect-text: mp_shared_mutex_abba\.c:@line(audit_inner)\b

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
    pthread_mutex_lock(&l->log_lock); /* @post_inner */
    l->balance += 10;
    l->log_entries++;
    pthread_mutex_unlock(&l->log_lock);
    pthread_mutex_unlock(&l->ledger_lock);
}

static void audit(struct ledger *l)
{
    pthread_mutex_lock(&l->log_lock);
    pthread_mutex_lock(&l->ledger_lock); /* @audit_inner */
    l->log_entries++;
    pthread_mutex_unlock(&l->ledger_lock);
    pthread_mutex_unlock(&l->log_lock);
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
    int status = 0, failed = 0;
    waitpid(run(post, l), &status, 0);   /* one after the other: this run cannot hang */
    failed |= status;
    waitpid(run(audit, l), &status, 0);
    failed |= status;
    printf("balance %ld, %ld log entries\n", l->balance, l->log_entries);
    return failed != 0;
}

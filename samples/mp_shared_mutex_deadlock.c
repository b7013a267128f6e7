// mp_shared_mutex_deadlock.c - two processes blocked on each other's
// process-shared mutex: a real deadlock across processes.
//
// The ledger of mp_shared_mutex_abba.c, with the two workers at the same
// time: the posting worker locks the ledger, the audit worker the log, and
// both meet at a process-shared barrier, so each holds its first lock.  Then
// each wants the other's: the posting worker waits for the log, the audit
// worker for the ledger, for ever; the parent waits for both.  Neither
// process alone shows a cycle (each has one thread, waiting for a lock held
// elsewhere); together they are one deadlock, each side with its pid.
//
// Natively the program hangs: never run it without concwatch.  Under
// concwatch: one deadlock, and the two workers are ended.
//
// concwatch-expect: deadlock=1
// concwatch-expect-text: 2 processes wait for each other in a cycle
// concwatch-expect-text: mp_shared_mutex_deadlock\.c:@line(post_inner)\b
// concwatch-expect-text: mp_shared_mutex_deadlock\.c:@line(audit_inner)\b

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct ledger {
    pthread_mutex_t ledger_lock;
    pthread_mutex_t log_lock;
    pthread_barrier_t both_hold_one;
    long balance;
    long log_entries;
};

static void post(struct ledger *l)
{
    pthread_mutex_lock(&l->ledger_lock);
    pthread_barrier_wait(&l->both_hold_one);
    pthread_mutex_lock(&l->log_lock); /* @post_inner */
    l->balance += 10;
    l->log_entries++;
    pthread_mutex_unlock(&l->log_lock);
    pthread_mutex_unlock(&l->ledger_lock);
}

static void audit(struct ledger *l)
{
    pthread_mutex_lock(&l->log_lock);
    pthread_barrier_wait(&l->both_hold_one);
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
    pthread_barrierattr_t battr;
    pthread_barrierattr_init(&battr);
    pthread_barrierattr_setpshared(&battr, PTHREAD_PROCESS_SHARED);
    pthread_barrier_init(&l->both_hold_one, &battr, 2);
    pid_t a = run(post, l), b = run(audit, l);
    int sa = 0, sb = 0;
    waitpid(a, &sa, 0);
    waitpid(b, &sb, 0);
    printf("balance %ld, %ld log entries\n", l->balance, l->log_entries);
    return sa != 0 || sb != 0;
}

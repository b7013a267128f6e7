// abba.c - ABBA: two locks taken in opposite orders.
//
// The classic bank-transfer deadlock: transfer(from, to) locks `from`, then
// `to`.  One thread runs transfer(alice, bob), another transfer(bob, alice).
// Run at the same time, each can take its first lock and wait forever for the
// other's.  Here the second thread starts only after the first has been
// joined, so this run never hangs: the lock order alone (alice -> bob, then
// bob -> alice) is the bug, and it must be reported as one cycle whose two
// edges are both taken at the same line of transfer(): one called from
// alice_pays_bob(), the other from bob_pays_alice() (the text checks below
// want each edge's stack: that line, and the caller on the next frame line).
//
// Correct twins: abba_consistent.c (a global order), abba_gate.c (a common
// outer lock), abba_trylock.c (back off instead of waiting).
//
// concwatch-expect: lock-order-inversion=1
// concwatch-expect-text: \btransfer\b
// concwatch-expect-text: abba\.c:@line(edge)\b.*\n.*\balice_pays_bob\b
// concwatch-expect-text: abba\.c:@line(edge)\b.*\n.*\bbob_pays_alice\b
// The two locks are named as the code names them (from the debug info):
// concwatch-expect-text: \n  M[12] is `alice\.lock` \(static, [^)\n]*abba\.c:@line(alice)\)\n
// concwatch-expect-text: \n  M[12] is `bob\.lock` \(static, [^)\n]*abba\.c:@line(bob)\)\n

#include <pthread.h>
#include <stdio.h>

struct account {
    pthread_mutex_t lock;
    int balance;
};

static struct account alice = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 }; /* @alice */
static struct account bob = { .lock = PTHREAD_MUTEX_INITIALIZER, .balance = 100 }; /* @bob */

static void transfer(struct account *from, struct account *to, int amount)
{
    pthread_mutex_lock(&from->lock);
    pthread_mutex_lock(&to->lock); /* @edge */
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
}

static void *alice_pays_bob(void *arg)
{
    (void)arg;
    transfer(&alice, &bob, 10);
    return NULL;
}

static void *bob_pays_alice(void *arg)
{
    (void)arg;
    transfer(&bob, &alice, 20);
    return NULL;
}

int main(void)
{
    pthread_t t;

    /* One after the other: this run cannot hang, the order is the bug. */
    if (pthread_create(&t, NULL, alice_pays_bob, NULL) != 0)
        return 1;
    pthread_join(t, NULL);
    if (pthread_create(&t, NULL, bob_pays_alice, NULL) != 0)
        return 1;
    pthread_join(t, NULL);

    printf("alice: %d, bob: %d\n", alice.balance, bob.balance);
    return 0;
}

// dining_philosophers.c - ABBCCDDEEA: five locks in a cycle.
//
// Five philosophers sit around a table with one fork between each pair.  Each
// picks up the fork on the left, then the one on the right.  If all five pick
// up their left fork at the same moment, each waits forever for the right one.
// Here the philosophers eat one after another (create, join, create, ...), so
// this run never hangs: the circular order fork0 -> fork1 -> ... -> fork4 ->
// fork0 is the bug.  It is ONE cycle of five locks (five edges), so it must be
// reported as one finding, whose five edges are all taken at the right-fork
// line of pick_up_forks().
//
// Correct twin: dining_philosophers_ordered.c.
//
// concwatch-expect: lock-order-inversion=1
// concwatch-expect-text: \bpick_up_forks\b
// concwatch-expect-text: (?s)(?:dining_philosophers\.c:@line(right)\b.*?){5}
// concwatch-expect-text: (?s)(?:\n  M[1-5] is `fork_lock\[[0-4]\]` \(static, [^)\n]*dining_philosophers\.c:@line(forks)\).*?){5}

#include <pthread.h>
#include <stdio.h>

#define N 5

static pthread_mutex_t fork_lock[N]; /* @forks */
static int meals[N];

static void pick_up_forks(int left, int right)
{
    pthread_mutex_lock(&fork_lock[left]);
    pthread_mutex_lock(&fork_lock[right]); /* @right */
}

static void put_down_forks(int left, int right)
{
    pthread_mutex_unlock(&fork_lock[right]);
    pthread_mutex_unlock(&fork_lock[left]);
}

static void *philosopher(void *arg)
{
    int i = (int)(long)arg;
    int left = i, right = (i + 1) % N;

    pick_up_forks(left, right);
    meals[i]++;
    put_down_forks(left, right);
    return NULL;
}

int main(void)
{
    pthread_t t;
    int total = 0;

    for (int i = 0; i < N; i++)
        pthread_mutex_init(&fork_lock[i], NULL);

    /* One after the other: this run cannot hang, the order is the bug. */
    for (long i = 0; i < N; i++) {
        if (pthread_create(&t, NULL, philosopher, (void *)i) != 0)
            return 1;
        pthread_join(t, NULL);
    }

    for (int i = 0; i < N; i++) {
        total += meals[i];
        pthread_mutex_destroy(&fork_lock[i]);
    }
    printf("meals: %d\n", total);
    return 0;
}

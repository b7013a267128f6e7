// dining_philosophers_ordered.c - five forks taken in one global order: correct
// twin of dining_philosophers.c.
//
// Each philosopher picks up the lower-numbered of its two forks first.  The
// last philosopher (forks 4 and 0) therefore starts with fork 0, which breaks
// the circle: every thread takes forks in increasing order, so no cycle exists.
// Because this is provably safe, the five philosophers here eat at the same
// time, 200 meals each, with real contention on the forks.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>

#define N 5
#define MEALS 200

static pthread_mutex_t fork_lock[N];
static int meals[N];

static void pick_up_forks(int left, int right)
{
    int first = left < right ? left : right;
    int second = left < right ? right : left;

    pthread_mutex_lock(&fork_lock[first]);
    pthread_mutex_lock(&fork_lock[second]);
}

static void put_down_forks(int left, int right)
{
    pthread_mutex_unlock(&fork_lock[left]);
    pthread_mutex_unlock(&fork_lock[right]);
}

static void *philosopher(void *arg)
{
    int i = (int)(long)arg;
    int left = i, right = (i + 1) % N;

    for (int m = 0; m < MEALS; m++) {
        pick_up_forks(left, right);
        meals[i]++;
        put_down_forks(left, right);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[N];
    int total = 0;

    for (int i = 0; i < N; i++)
        pthread_mutex_init(&fork_lock[i], NULL);

    for (long i = 0; i < N; i++)
        if (pthread_create(&t[i], NULL, philosopher, (void *)i) != 0)
            return 1;
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);

    for (int i = 0; i < N; i++) {
        total += meals[i];
        pthread_mutex_destroy(&fork_lock[i]);
    }
    printf("meals: %d\n", total);
    return total == N * MEALS ? 0 : 1;
}

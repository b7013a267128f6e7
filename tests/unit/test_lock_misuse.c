/*
 * Proves the findings the lock events layer decides on the spot, each
 * written as one record to the report directory (the fixture is
 * lock_events_fixture.h), with the threads and the stacks it names:
 *   - cw_self_deadlock, not hanging: a self-deadlock record whose note says
 *     the program goes on, the stack of the second acquire and of the first;
 *     hanging (in a child): the record, then exit CW_EXIT_FINDINGS;
 *   - cw_unlock_misuse: of a lock not locked; held by another (live)
 *     thread, named with the stack where it took the lock; held by a thread
 *     the shim does not know;
 *   - cw_lock_destroyed while locked: a misuse record, and the lock is no
 *     longer held.
 */
#include "lock_events_fixture.h"

static uint32_t index_of_self(void)
{
    return cw_thread_self()->index;
}

static uint32_t deadlocked_index;

static void *self_deadlock(void *arg)
{
    uintptr_t a = (uintptr_t)arg;
    take(a, TAKE);
    relock(a, false);
    cw_released(cw_thread_self(), a);
    deadlocked_index = index_of_self();
    return NULL;
}

static void test_self_deadlock(void)
{
    uintptr_t a = LK(20);
    new_case("self_deadlock");
    pthread_t th;
    pthread_create(&th, NULL, self_deadlock, (void *)a);
    pthread_join(th, NULL);
    char want[128];
    snprintf(want, sizeof want, "finding\tself-deadlock\tT%u acquires mutex M1 that it already holds\n",
             deadlocked_index);
    CHECK(count("finding\t") == 1 && strstr(findings(), want) == text);
    snprintf(want, sizeof want, "stack\tT%u\tfirst acquired M1 here\n", deadlocked_index);
    CHECK(strstr(text, want) != NULL);
    CHECK(count("note\tthe call fails or times out") == 1);
    const char *again = first_frame("acquires M1 again here"), *first = first_frame("first acquired M1 here");
    CHECK(again && first && strncmp(again, first, strcspn(first, "\n") + 1) != 0);
}

/* hangs=true: the record is written, then the program ends with
 * CW_EXIT_FINDINGS (in a child: it is this process that would end). */
static void test_self_deadlock_hangs(void)
{
    uintptr_t a = LK(24);
    new_case("self_deadlock_hangs");
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        take(a, TAKE);
        relock(a, true);
        _exit(0);   /* not reached */
    }
    int status = 0;
    CHECK(child > 0 && waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == CW_EXIT_FINDINGS);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s%d", cw_flags.report_dir, CW_FINDINGS_PREFIX, (int)child);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    if (f)
        fclose(f);
    CHECK(strncmp(text, "finding\tself-deadlock\t", strlen("finding\tself-deadlock\t")) == 0);
    CHECK(strstr(text, "\nnote\tthis would wait forever; concwatch ended the program (exit 66)\n") != NULL);
    CHECK(strstr(text, "\nend\n") != NULL);
}

/* Holds a lock until told to let go. */
static pthread_barrier_t holding, done;
static pid_t holder_tid;
static uint32_t holder_index;

static void *hold(void *arg)
{
    uintptr_t a = (uintptr_t)arg;
    take(a, TAKE);
    holder_tid = (pid_t)syscall(SYS_gettid);
    holder_index = index_of_self();
    pthread_barrier_wait(&holding);
    pthread_barrier_wait(&done);
    cw_released(cw_thread_self(), a);
    return NULL;
}

static void test_unlock_misuse(void)
{
    uintptr_t a = LK(21), b = LK(22);
    cw_thread *me = cw_thread_self();
    char want[128];
    new_case("unlock_not_locked");
    bad_unlock(a, 0);
    snprintf(want, sizeof want, "finding\tmisuse\tT%u unlocks mutex M1 that is not locked\n", me->index);
    CHECK(count("finding\t") == 1 && strstr(findings(), want) == text);
    CHECK(count("stack\t") == 1);

    new_case("unlock_held_by_other");
    pthread_barrier_init(&holding, NULL, 2);
    pthread_barrier_init(&done, NULL, 2);
    pthread_t th;
    pthread_create(&th, NULL, hold, (void *)b);
    pthread_barrier_wait(&holding);
    bad_unlock(b, holder_tid);
    pthread_barrier_wait(&done);
    pthread_join(th, NULL);
    pthread_barrier_destroy(&holding);
    pthread_barrier_destroy(&done);
    snprintf(want, sizeof want, "finding\tmisuse\tT%u unlocks mutex M1 held by T%u\n", me->index, holder_index);
    CHECK(count("finding\t") == 1 && strstr(findings(), want) == text);
    snprintf(want, sizeof want, "stack\tT%u\tlocked M1 here\n", holder_index);
    CHECK(strstr(text, want) != NULL);

    new_case("unlock_unknown_owner");
    bad_unlock(a, 1);   /* pid 1: no thread of ours */
    CHECK(count("finding\tmisuse\t") == 1 && strstr(text, "held by another thread\n") != NULL);
}

static void test_destroy_locked(void)
{
    uintptr_t a = LK(23);
    cw_thread *me = cw_thread_self();
    new_case("destroy_locked");
    take(a, TAKE);
    destroy(a, true);
    CHECK(count("finding\tmisuse\t") == 1 && strstr(text, "destroys mutex M1 while it is locked\n") != NULL);
    CHECK(count("stack\t") == 2);
    /* Two different call sites: the stacks' first frames differ. */
    const char *destroys = first_frame("destroys M1 here"), *locked = first_frame("locked M1 here");
    CHECK(destroys && locked && strncmp(destroys, locked, strcspn(locked, "\n") + 1) != 0);
    CHECK(cw_held_index(me, a) == -1);   /* no longer held */
}

int main(void)
{
    if (!fixture_begin()) {
        printf("skipped: no temporary directory\n");
        return 77;
    }
    test_self_deadlock();
    test_self_deadlock_hangs();
    test_unlock_misuse();
    test_destroy_locked();
    return fixture_end();
}

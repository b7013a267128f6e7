/*
 * Proves the thread registry (detector/events/thread_state.c) with real
 * threads: cw_thread_self attaches a thread on first use and returns the
 * same slot after; the first thread seen is T0 and later ones are numbered
 * in order of attachment, never reusing a number; cw_thread_for_each and
 * the by_tid/by_index/by_pthread lookups see exactly the live threads; a
 * thread is detached when it ends (or explicitly, after which it is no
 * longer tracked), and its slot is reused, emptied, by the next thread;
 * more threads than one chunk of slots all get their own.  Also the
 * per-thread call-site cache (cw_thread_site_stack).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "events/thread_state.h"

typedef struct seen {
    cw_thread *slot;
    uint32_t index;
    pid_t tid;
    pthread_t self;
    cw_thread *again;   /* cw_thread_self() a second time */
} seen;

static pthread_barrier_t attached, release;

static void note_self(seen *s)
{
    s->slot = cw_thread_self();
    s->again = cw_thread_self();
    s->index = s->slot ? s->slot->index : UINT32_MAX;
    s->tid = (pid_t)syscall(SYS_gettid);
    s->self = pthread_self();
}

/* Attaches, then stays alive until the main thread has looked. */
static void *stay(void *arg)
{
    note_self(arg);
    pthread_barrier_wait(&attached);
    pthread_barrier_wait(&release);
    return NULL;
}

static void count_live(cw_thread *t, void *arg)
{
    (void)t;
    ++*(int *)arg;
}

static int live_threads(void)
{
    int n = 0;
    cw_thread_for_each(count_live, &n);
    return n;
}

static void test_main_thread(void)
{
    cw_thread *t = cw_thread_self();
    CHECK(t != NULL);
    CHECK(cw_thread_self() == t);
    CHECK(t && t->index == 0);   /* nothing attached before: T0 */
    CHECK(t && t->tid == (pid_t)syscall(SYS_gettid));
    CHECK(t && pthread_equal(t->self, pthread_self()));
    CHECK(t && t->parent == UINT32_MAX && t->nheld == 0 && atomic_load(&t->alive) == 1);
    CHECK(live_threads() == 1);
    CHECK(cw_thread_by_index(0) == t);
    CHECK(cw_thread_by_tid(t->tid) == t);
    CHECK(cw_thread_by_pthread(pthread_self()) == t);
}

/* `n` threads alive at once (more than a chunk of 64 slots when n > 63). */
static void test_live_threads(int n)
{
    static seen s[100];
    pthread_t th[100];
    pthread_barrier_init(&attached, NULL, (unsigned)n + 1);
    pthread_barrier_init(&release, NULL, (unsigned)n + 1);
    memset(s, 0, sizeof s);
    for (int i = 0; i < n; i++)
        pthread_create(&th[i], NULL, stay, &s[i]);
    pthread_barrier_wait(&attached);

    CHECK(live_threads() == n + 1);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        bad += s[i].slot == NULL || s[i].again != s[i].slot;
        bad += cw_thread_by_tid(s[i].tid) != s[i].slot;
        bad += cw_thread_by_index(s[i].index) != s[i].slot;
        bad += cw_thread_by_pthread(s[i].self) != s[i].slot;
        bad += s[i].slot && (s[i].slot->tid != s[i].tid || !pthread_equal(s[i].slot->self, s[i].self));
        for (int j = 0; j < i; j++)   /* distinct slots and numbers */
            bad += s[j].slot == s[i].slot || s[j].index == s[i].index;
    }
    CHECK(bad == 0);

    pthread_barrier_wait(&release);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&attached);
    pthread_barrier_destroy(&release);

    /* Ended threads were detached by their exit (the registry's key). */
    CHECK(live_threads() == 1);
    bad = 0;
    for (int i = 0; i < n; i++)
        bad += cw_thread_by_tid(s[i].tid) != NULL || cw_thread_by_index(s[i].index) != NULL ||
               atomic_load(&s[i].slot->alive) != 0;
    CHECK(bad == 0);
}

/* Leaves traces in its slot for the next thread to (not) find. */
static void *dirty(void *arg)
{
    seen *s = arg;
    note_self(s);
    cw_thread *t = s->slot;
    t->nheld = 3;
    t->held[0].addr = 0x1234;
    t->sites[5].pc = 0x5678;
    t->py_pending = 13;
    t->depth = 2;
    return NULL;
}

static void *just_attach(void *arg)
{
    note_self(arg);
    return NULL;
}

static bool slot_is_clean(const cw_thread *t)
{
    static const cw_site no_site;
    bool clean = t->nheld == 0 && t->depth == 0 && t->py_pending == 0;
    clean &= memcmp(&t->sites[5], &no_site, sizeof no_site) == 0;
    return clean;
}

static void test_slot_reuse(void)
{
    seen a = { 0 }, b = { 0 };
    pthread_t th;
    pthread_create(&th, NULL, dirty, &a);
    pthread_join(th, NULL);
    pthread_create(&th, NULL, just_attach, &b);
    pthread_join(th, NULL);
    CHECK(a.slot && b.slot == a.slot);   /* the freed slot is the next one handed out */
    CHECK(b.index == a.index + 1);      /* but the number is new */
    CHECK(b.slot && b.slot->tid == b.tid && slot_is_clean(b.slot));

    /* Numbers only grow, however often slots are reused. */
    uint32_t last = b.index;
    int bad = 0;
    for (int i = 0; i < 50; i++) {
        seen c = { 0 };
        pthread_create(&th, NULL, just_attach, &c);
        pthread_join(th, NULL);
        bad += c.slot != a.slot || c.index != last + 1;
        last = c.index;
    }
    CHECK(bad == 0);
    CHECK(live_threads() == 1);
}

/* Detached by itself before it ends: not tracked from then on, and its
 * slot is freed once (its exit must not free it again). */
static void *detach_early(void *arg)
{
    seen *s = arg;
    note_self(s);
    cw_thread_detach(s->slot);
    s->again = cw_thread_self();   /* NULL: untracked now */
    return NULL;
}

static void test_detach(void)
{
    seen d = { 0 };
    pthread_t th;
    pthread_create(&th, NULL, detach_early, &d);
    pthread_join(th, NULL);
    CHECK(d.slot != NULL && d.again == NULL);
    CHECK(cw_thread_by_tid(d.tid) == NULL && cw_thread_by_index(d.index) == NULL);

    /* Two threads alive together after it: two slots, not the same one twice. */
    static seen s[2];
    pthread_t t2[2];
    pthread_barrier_init(&attached, NULL, 3);
    pthread_barrier_init(&release, NULL, 3);
    for (int i = 0; i < 2; i++)
        pthread_create(&t2[i], NULL, stay, &s[i]);
    pthread_barrier_wait(&attached);
    CHECK(s[0].slot && s[1].slot && s[0].slot != s[1].slot);
    CHECK(s[0].slot == d.slot || s[1].slot == d.slot);
    CHECK(live_threads() == 3);
    pthread_barrier_wait(&release);
    for (int i = 0; i < 2; i++)
        pthread_join(t2[i], NULL);
    pthread_barrier_destroy(&attached);
    pthread_barrier_destroy(&release);
}

/* The site cache: a call site's stack is captured once, starting at it. */
__attribute__((noinline)) static cw_stack_id site_here(cw_thread *t)
{
    cw_stack_id id = cw_thread_site_stack(t, (uintptr_t)__builtin_return_address(0));
    __asm__ volatile("" ::: "memory");
    return id;
}

static void test_site_cache(void)
{
    cw_thread *t = cw_thread_self();
    cw_stack_id ids[3];
    for (volatile int i = 0; i < 3; i++)   /* one call site */
        ids[i] = site_here(t);
    CHECK(ids[0] != 0 && ids[1] == ids[0] && ids[2] == ids[0]);
    size_t n = 0;
    const uintptr_t *f = cw_stack_depot_get(ids[0], &n);
    CHECK(f && n >= 2);
    /* The slot of that pc holds it. */
    int found = 0;
    for (unsigned i = 0; i < CW_SITE_CACHE; i++)
        found += t->sites[i].stack == ids[0] && f && t->sites[i].pc == f[0];
    CHECK(found == 1);
    CHECK(site_here(t) != 0);   /* another call site: its own capture */
}

int main(void)
{
    test_main_thread();
    test_live_threads(8);
    test_live_threads(70);
    test_slot_reuse();
    test_detach();
    test_site_cache();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}

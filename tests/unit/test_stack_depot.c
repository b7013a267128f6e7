/*
 * Proves the stack depot's contract (detector/stacks/stack_depot.h): a put
 * stack comes back from get frame for frame; identical stacks are interned
 * once (same id) and different ones (a frame, the order, the length) get
 * different ids; 0 frames is id 0, which get knows as "no stack", as it
 * does unknown ids; frames past CW_MAX_FRAMES are dropped.  Then the same
 * from many threads at once, under ASan: every thread gets the same id for
 * the stacks they share, distinct ids for their own, and every id still
 * reads back its frames.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stacks/stack_depot.h"

/* A recognizable frame: stack s, frame i (never 0). */
static uintptr_t pc_of(unsigned s, unsigned i)
{
    return 0x400000u + ((uintptr_t)s << 12) + i * 5u + 1;
}

static bool same_frames(cw_stack_id id, const uintptr_t *pcs, size_t n)
{
    size_t got = 0;
    const uintptr_t *f = cw_stack_depot_get(id, &got);
    return f && got == n && memcmp(f, pcs, n * sizeof *pcs) == 0;
}

static void test_round_trip(void)
{
    uintptr_t a[5], b[5];
    for (unsigned i = 0; i < 5; i++) {
        a[i] = pc_of(1, i);
        b[i] = pc_of(1, i);
    }
    cw_stack_id ia = cw_stack_depot_put(a, 5);
    CHECK(ia != 0);
    CHECK(same_frames(ia, a, 5));
    /* Identical content from another buffer: the same id. */
    CHECK(cw_stack_depot_put(b, 5) == ia);
    CHECK(cw_stack_depot_put(a, 5) == ia);
    /* The depot keeps its own copy. */
    a[0] = 7;
    CHECK(same_frames(ia, b, 5));

    /* Differences of one frame, of order, and of length are other stacks. */
    b[4] = pc_of(2, 4);
    cw_stack_id ib = cw_stack_depot_put(b, 5);
    CHECK(ib != 0 && ib != ia);
    uintptr_t swapped[5] = { pc_of(1, 1), pc_of(1, 0), pc_of(1, 2), pc_of(1, 3), pc_of(1, 4) };
    cw_stack_id is = cw_stack_depot_put(swapped, 5);
    CHECK(is != 0 && is != ia && is != ib);
    cw_stack_id prefix = cw_stack_depot_put(b, 4);
    CHECK(prefix != 0 && prefix != ib && prefix != ia && prefix != is);
    CHECK(same_frames(prefix, b, 4));
    CHECK(same_frames(ib, b, 5));

    /* One frame is a stack too. */
    uintptr_t one = pc_of(3, 0);
    cw_stack_id i1 = cw_stack_depot_put(&one, 1);
    CHECK(i1 != 0 && same_frames(i1, &one, 1));
}

static void test_no_stack(void)
{
    uintptr_t pc = pc_of(4, 0);
    CHECK(cw_stack_depot_put(&pc, 0) == 0);
    CHECK(cw_stack_depot_put(NULL, 0) == 0);
    size_t n = 99;
    CHECK(cw_stack_depot_get(0, &n) == NULL && n == 0);
    /* An id never handed out. */
    n = 99;
    CHECK(cw_stack_depot_get(0x7fffffff, &n) == NULL && n == 0);
    n = 99;
    CHECK(cw_stack_depot_get(UINT32_MAX, &n) == NULL && n == 0);
}

static void test_truncation(void)
{
    enum { LONG = CW_MAX_FRAMES + 20 };
    uintptr_t pcs[LONG];
    for (unsigned i = 0; i < LONG; i++)
        pcs[i] = pc_of(5, i);
    cw_stack_id id = cw_stack_depot_put(pcs, LONG);
    CHECK(id != 0);
    size_t n = 0;
    const uintptr_t *f = cw_stack_depot_get(id, &n);
    CHECK(f && n == CW_MAX_FRAMES);
    CHECK(f && memcmp(f, pcs, CW_MAX_FRAMES * sizeof *pcs) == 0);   /* innermost frames kept */
    /* The same first CW_MAX_FRAMES frames are the same stack, whatever follows. */
    CHECK(cw_stack_depot_put(pcs, CW_MAX_FRAMES) == id);
    pcs[LONG - 1] = 1;
    CHECK(cw_stack_depot_put(pcs, LONG) == id);
    CHECK(cw_stack_depot_put(pcs, CW_MAX_FRAMES + 1) == id);
    CHECK(cw_stack_depot_put(pcs, CW_MAX_FRAMES - 1) != id);
}

/* Many distinct stacks: all ids distinct, all read back. */
static void test_many(void)
{
    enum { N = 20000 };
    cw_stack_id *ids = calloc(N, sizeof *ids);
    for (unsigned s = 0; s < N; s++) {
        uintptr_t pcs[3] = { pc_of(100 + s, 0), pc_of(100 + s, 1), s };
        ids[s] = cw_stack_depot_put(pcs, 1 + s % 3);
    }
    int bad = 0;
    for (unsigned s = 0; s < N; s++) {
        uintptr_t pcs[3] = { pc_of(100 + s, 0), pc_of(100 + s, 1), s };
        bad += ids[s] == 0 || !same_frames(ids[s], pcs, 1 + s % 3) ||
               cw_stack_depot_put(pcs, 1 + s % 3) != ids[s] || (s > 0 && ids[s] == ids[s - 1]);
    }
    CHECK(bad == 0);
    free(ids);
}

/* ---- many threads at once ---- */

enum { THREADS = 8, SHARED = 600, OWN = 600 };

typedef struct worker {
    unsigned index;
    cw_stack_id shared[SHARED];
    cw_stack_id own[OWN];
    int bad;
} worker;

static pthread_barrier_t start;

static void shared_stack(unsigned s, uintptr_t *pcs, size_t *n)
{
    *n = 2 + s % 7;
    for (size_t i = 0; i < *n; i++)
        pcs[i] = pc_of(50000 + s, (unsigned)i);
}

static void own_stack(unsigned w, unsigned s, uintptr_t *pcs, size_t *n)
{
    *n = 1 + s % 11;
    for (size_t i = 0; i < *n; i++)
        pcs[i] = pc_of(60000 + w * OWN + s, (unsigned)i);
}

static void *work(void *arg)
{
    worker *w = arg;
    uintptr_t pcs[16];
    size_t n;
    pthread_barrier_wait(&start);
    /* Interleaved, each thread in its own order: shared stacks are put by
     * several threads at the same moment. */
    for (unsigned k = 0; k < SHARED; k++) {
        unsigned s = (k + w->index * 97) % SHARED;
        shared_stack(s, pcs, &n);
        w->shared[s] = cw_stack_depot_put(pcs, n);
        w->bad += !same_frames(w->shared[s], pcs, n);
        own_stack(w->index, k, pcs, &n);
        w->own[k] = cw_stack_depot_put(pcs, n);
        w->bad += !same_frames(w->own[k], pcs, n);
    }
    return NULL;
}

static void test_threads(void)
{
    static worker w[THREADS];
    pthread_t th[THREADS];
    pthread_barrier_init(&start, NULL, THREADS);
    for (unsigned i = 0; i < THREADS; i++) {
        w[i].index = i;
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (unsigned i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);

    int bad = 0, disagree = 0, zero = 0, dup = 0;
    for (unsigned i = 0; i < THREADS; i++) {
        bad += w[i].bad;
        for (unsigned s = 0; s < SHARED; s++)
            disagree += w[i].shared[s] != w[0].shared[s];
        for (unsigned k = 0; k < OWN; k++)
            zero += w[i].own[k] == 0;
    }
    /* Every id of the run is distinct from every other stack's. */
    enum { ALL = SHARED + THREADS * OWN };
    cw_stack_id *all = malloc(ALL * sizeof *all);
    size_t n = 0;
    for (unsigned s = 0; s < SHARED; s++)
        all[n++] = w[0].shared[s];
    for (unsigned i = 0; i < THREADS; i++)
        for (unsigned k = 0; k < OWN; k++)
            all[n++] = w[i].own[k];
    for (size_t i = 0; i < n; i++)   /* ids are small: a bitmap */
        zero += all[i] == 0;
    size_t max = 0;
    for (size_t i = 0; i < n; i++)
        max = all[i] > max ? all[i] : max;
    unsigned char *seen = calloc(max + 1, 1);
    for (size_t i = 0; i < n; i++)
        dup += seen[all[i]]++ != 0;
    free(seen);
    free(all);
    CHECK(bad == 0);
    CHECK(disagree == 0);
    CHECK(zero == 0);
    CHECK(dup == 0);
}

int main(void)
{
    test_round_trip();
    test_no_stack();
    test_truncation();
    test_many();
    test_threads();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}

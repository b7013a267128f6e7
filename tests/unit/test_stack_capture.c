/*
 * Proves what cw_capture_pcs and cw_capture_stack (detector/stacks/
 * stack_capture.c) capture: from a chain of non-inlined calls
 * main -> outer -> middle -> inner, the stack holds the return addresses
 * into middle, outer and main in that order (innermost first), with the
 * caller_pc rule: the stack starts exactly at caller_pc when it is on the
 * stack (the frames inside it, the shim's own, are dropped) and keeps every
 * frame when it is 0 or not found; at most `max` frames; the interned stack
 * reads back from the depot; threads capturing the same path at once all
 * get the same stack.  Run twice: with glibc's unwinder (before
 * cw_stack_capture_init) and with libunwind (after it, when installed).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "stacks/stack_capture.h"

#define NOINLINE __attribute__((noinline, noclone))

/* Return addresses seen by each function of the chain, and what it captured. */
static uintptr_t ra_inner, ra_middle, ra_outer;   /* into middle, outer, main */
static uintptr_t pcs[CW_MAX_FRAMES];
static int npcs;
static uintptr_t skip;   /* caller_pc given to the capture */
static int max_frames = CW_MAX_FRAMES;
static cw_stack_id interned;

NOINLINE static int inner(int x)
{
    ra_inner = (uintptr_t)__builtin_return_address(0);
    uintptr_t caller = skip == 1 ? ra_inner : skip;   /* 1: "my caller", as an interceptor passes */
    npcs = cw_capture_pcs(caller, pcs, max_frames);
    interned = cw_capture_stack(caller);
    __asm__ volatile("" ::: "memory");   /* no tail call */
    return x + 1;
}

NOINLINE static int middle(int x)
{
    ra_middle = (uintptr_t)__builtin_return_address(0);
    int r = inner(x + 1);
    __asm__ volatile("" ::: "memory");
    return r + 1;
}

NOINLINE static int outer(int x)
{
    ra_outer = (uintptr_t)__builtin_return_address(0);
    int r = middle(x + 1);
    __asm__ volatile("" ::: "memory");
    return r + 1;
}

static int position(const uintptr_t *f, int n, uintptr_t pc)
{
    for (int i = 0; i < n; i++)
        if (f[i] == pc)
            return i;
    return -1;
}

/* The chain's return addresses, in order, one frame apart. */
static bool chain_in_order(const uintptr_t *f, int n)
{
    int a = position(f, n, ra_inner), b = position(f, n, ra_middle), c = position(f, n, ra_outer);
    return a >= 0 && b == a + 1 && c == b + 1;
}

static void dump(const char *what)
{
    fprintf(stderr, "  %s: ra_inner %#lx ra_middle %#lx ra_outer %#lx; captured %d:", what,
            (unsigned long)ra_inner, (unsigned long)ra_middle, (unsigned long)ra_outer, npcs);
    for (int i = 0; i < npcs && i < 8; i++)
        fprintf(stderr, " %#lx", (unsigned long)pcs[i]);
    fprintf(stderr, "\n");
}

static void run(const char *unwinder)
{
    /* caller_pc 0: every frame past the capture itself. */
    skip = 0;
    max_frames = CW_MAX_FRAMES;
    CHECK(outer(1) == 6);
    if (!chain_in_order(pcs, npcs))
        dump(unwinder);
    CHECK(chain_in_order(pcs, npcs));
    CHECK(position(pcs, npcs, ra_inner) <= 2);   /* at most the capture's own frames before */

    /* caller_pc = inner's return address: the stack starts exactly there. */
    skip = 1;
    outer(1);
    CHECK(npcs >= 3 && pcs[0] == ra_inner && pcs[1] == ra_middle && pcs[2] == ra_outer);
    size_t n = 0;
    const uintptr_t *f = cw_stack_depot_get(interned, &n);
    CHECK(f && n == (size_t)npcs && memcmp(f, pcs, n * sizeof *f) == 0);
    cw_stack_id first = interned;
    /* The same path captured again interns to the same id; another call
     * of outer (another return address in run) is another stack. */
    cw_stack_id ids[2];
    for (volatile int k = 0; k < 2; k++) {   /* volatile: one call site, not unrolled */
        outer(1);
        ids[k] = interned;
    }
    CHECK(ids[0] != 0 && ids[0] == ids[1]);
    CHECK(ids[0] != first);

    /* caller_pc further out (middle's return address): inner's frame is dropped too. */
    skip = ra_middle;
    outer(1);
    CHECK(npcs >= 2 && pcs[0] == ra_middle && pcs[1] == ra_outer);
    CHECK(position(pcs, npcs, ra_inner) < 0);

    /* caller_pc not on the stack: nothing is dropped (as with 0). */
    skip = 0x10;
    outer(1);
    CHECK(chain_in_order(pcs, npcs));

    /* max: only the innermost frames. */
    skip = 1;
    max_frames = 2;
    outer(1);
    CHECK(npcs == 2 && pcs[0] == ra_inner && pcs[1] == ra_middle);
    max_frames = 0;
    outer(1);
    CHECK(npcs == 0);
    max_frames = CW_MAX_FRAMES;
}

/* Deep recursion: the capture stops at CW_MAX_FRAMES, innermost kept. */
static uintptr_t deep_ra;
NOINLINE static int recurse(int depth)
{
    if (depth == 0) {
        deep_ra = (uintptr_t)__builtin_return_address(0);
        npcs = cw_capture_pcs(deep_ra, pcs, CW_MAX_FRAMES);
        interned = cw_capture_stack(deep_ra);
        __asm__ volatile("" ::: "memory");
        return 0;
    }
    int r = recurse(depth - 1);
    __asm__ volatile("" ::: "memory");
    return r + 1;
}

static void run_deep(void)
{
    CHECK(recurse(3 * CW_MAX_FRAMES) == 3 * CW_MAX_FRAMES);
    CHECK(npcs == CW_MAX_FRAMES && pcs[0] == deep_ra);
    int same = 0;   /* all but the first are the same return address, into recurse */
    for (int i = 1; i < npcs; i++)
        same += pcs[i] == deep_ra;
    CHECK(same == CW_MAX_FRAMES - 1);
    size_t n = 0;
    const uintptr_t *f = cw_stack_depot_get(interned, &n);
    CHECK(f && n == CW_MAX_FRAMES && f[0] == deep_ra);
}

/* Many threads capturing at once, through the same calls: the same path
 * is the same stack in every thread (same call sites, same start routine),
 * and it starts at the caller_pc given. */
enum { THREADS = 8, ROUNDS = 200 };
static pthread_barrier_t go;

NOINLINE static cw_stack_id leaf(int *wrong_start)
{
    uintptr_t caller = (uintptr_t)__builtin_return_address(0);
    cw_stack_id id = cw_capture_stack(caller);
    size_t n = 0;
    const uintptr_t *f = cw_stack_depot_get(id, &n);
    *wrong_start += !f || n == 0 || f[0] != caller;
    __asm__ volatile("" ::: "memory");
    return id;
}

NOINLINE static cw_stack_id branch(int *wrong_start)
{
    cw_stack_id id = leaf(wrong_start);
    __asm__ volatile("" ::: "memory");
    return id;
}

typedef struct capturer {
    cw_stack_id ids[ROUNDS];
    int wrong_start;
} capturer;

static void *capture_often(void *arg)
{
    capturer *c = arg;
    pthread_barrier_wait(&go);
    for (volatile int r = 0; r < ROUNDS; r++)
        c->ids[r] = branch(&c->wrong_start);
    return NULL;
}

static void run_threads(void)
{
    static capturer c[THREADS];
    pthread_t th[THREADS];
    pthread_barrier_init(&go, NULL, THREADS);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, capture_often, &c[i]);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&go);
    int bad = 0;
    for (int i = 0; i < THREADS; i++) {
        bad += c[i].wrong_start;
        for (int r = 0; r < ROUNDS; r++)
            bad += c[i].ids[r] == 0 || c[i].ids[r] != c[0].ids[0];
    }
    CHECK(bad == 0);
}

int main(void)
{
    run("glibc backtrace");
    run_deep();
    cw_stack_capture_init();
    void *lib = dlopen("libunwind.so.8", RTLD_NOW | RTLD_NOLOAD);
    if (lib) {
        run("libunwind");
        run_deep();
        run_threads();
        dlclose(lib);
    } else {
        printf("note: libunwind.so.8 not loaded; only glibc's unwinder tested\n");
        run_threads();
    }
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}

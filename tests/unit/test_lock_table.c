/*
 * Proves the lock table (detector/events/lock_table.c): cw_lock_table_get
 * inserts an address and returns its slot, the same slot every time;
 * cw_lock_table_find returns it too but never inserts; distinct addresses,
 * however close, get distinct slots; address 0 is never a lock; a lookup
 * gives up after its probe window (64 slots) is full of other addresses,
 * and the address is then not tracked (NULL), as documented for a full
 * table; many addresses all stay findable; threads inserting the same
 * addresses at the same moment all get the same slot for each.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "common/hash.h"
#include "events/lock_table.h"

static void test_get_and_find(void)
{
    static long lock_a, lock_b;
    uintptr_t a = (uintptr_t)&lock_a, b = (uintptr_t)&lock_b;
    CHECK(cw_lock_table_find(a) == NULL);   /* find does not insert... */
    CHECK(cw_lock_table_find(a) == NULL);
    cw_lock_slot *s = cw_lock_table_get(a);  /* ...get does */
    CHECK(s != NULL);
    CHECK(s && atomic_load(&s->addr) == a);
    CHECK(s && atomic_load(&s->node) == 0 && atomic_load(&s->create_stack) == 0 &&
          atomic_load(&s->flags) == 0 && atomic_load(&s->sem_value0) == 0);
    CHECK(cw_lock_table_get(a) == s);
    CHECK(cw_lock_table_find(a) == s);
    /* What is stored in the slot stays there. */
    if (s)
        atomic_store(&s->kind, 3);
    CHECK(cw_lock_table_find(a) && atomic_load(&cw_lock_table_find(a)->kind) == 3);

    CHECK(cw_lock_table_find(b) == NULL);
    cw_lock_slot *sb = cw_lock_table_get(b);
    CHECK(sb != NULL && sb != s);
    CHECK(cw_lock_table_find(a) == s && cw_lock_table_find(b) == sb);

    CHECK(cw_lock_table_get(0) == NULL);
    CHECK(cw_lock_table_find(0) == NULL);
}

/* Neighbouring addresses: a byte apart, a word apart, in one struct. */
static void test_neighbours(void)
{
    static char block[256];
    cw_lock_slot *slots[256];
    for (int i = 0; i < 256; i++)
        slots[i] = cw_lock_table_get((uintptr_t)&block[i]);
    int bad = 0;
    for (int i = 0; i < 256; i++) {
        bad += slots[i] == NULL || atomic_load(&slots[i]->addr) != (uintptr_t)&block[i];
        bad += cw_lock_table_find((uintptr_t)&block[i]) != slots[i];
        for (int j = 0; j < i; j++)
            bad += slots[j] == slots[i];
    }
    CHECK(bad == 0);
}

/* Addresses that all hash to slot `h`: the table multiplies by the golden
 * ratio constant, so a + k * inverse(constant) lands k slots' worth of
 * product above a, i.e. in the same slot for small k. */
static uint64_t inverse(uint64_t k)
{
    uint64_t x = k;   /* Newton's iteration for the inverse mod 2^64 (k odd) */
    for (int i = 0; i < 6; i++)
        x *= 2 - k * x;
    return x;
}

static void test_probe_window(void)
{
    const uint64_t K = 0x9e3779b97f4a7c15ull;
    uint64_t kinv = inverse(K);
    CHECK(K * kinv == 1);
    const uint64_t h = 123456;   /* a slot nothing else uses yet */
    uint64_t base = kinv * (h << 42);
    enum { N = 70 };
    uintptr_t addr[N];
    int bad = 0;
    for (uint64_t i = 0; i < N; i++) {
        addr[i] = (uintptr_t)(base + i * kinv);
        bad += cw_hash_addr(addr[i], 22) != h;
    }
    CHECK(bad == 0);   /* the construction is right */

    cw_lock_slot *slots[N];
    for (int i = 0; i < N; i++)
        slots[i] = cw_lock_table_get(addr[i]);
    bad = 0;
    for (int i = 0; i < 64; i++) {   /* the window: slots h .. h+63 */
        bad += slots[i] == NULL || cw_lock_table_find(addr[i]) != slots[i];
        bad += i > 0 && slots[i] && slots[i - 1] && slots[i] != slots[i - 1] + 1;
    }
    CHECK(bad == 0);
    for (int i = 64; i < N; i++) {   /* past it: not tracked */
        CHECK(slots[i] == NULL);
        CHECK(cw_lock_table_find(addr[i]) == NULL);
    }
    /* An address of the next slot still finds room at the window's end. */
    uintptr_t next = (uintptr_t)(kinv * ((h + 1) << 42));
    cw_lock_slot *s = cw_lock_table_get(next);
    CHECK(s != NULL && s == slots[63] + 1);
}

static void test_many(void)
{
    enum { N = 300000 };
    uintptr_t *addr = malloc(N * sizeof *addr);
    cw_lock_slot **slot = malloc(N * sizeof *slot);
    uint64_t x = 88172645463325252ull;   /* xorshift: some random, some heap-like */
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        addr[i] = i % 2 ? (uintptr_t)(x | 1) : (uintptr_t)0x5555000000ull + (uintptr_t)i * 40;
    }
    for (int i = 0; i < N; i++)
        slot[i] = cw_lock_table_get(addr[i]);
    int missing = 0, wrong = 0;
    for (int i = 0; i < N; i++) {
        missing += slot[i] == NULL;
        wrong += slot[i] && (cw_lock_table_find(addr[i]) != slot[i] || atomic_load(&slot[i]->addr) != addr[i]);
    }
    CHECK(missing == 0);
    CHECK(wrong == 0);
    free(addr);
    free(slot);
}

/* ---- the same addresses from several threads at once ---- */

enum { THREADS = 8, SHARED = 20000 };
static pthread_barrier_t go;
static cw_lock_slot *got[THREADS][SHARED];

static uintptr_t shared_addr(int i)
{
    return (uintptr_t)0x7700000000ull + (uintptr_t)i * 64;
}

static void *insert(void *arg)
{
    int me = (int)(intptr_t)arg;
    pthread_barrier_wait(&go);
    for (int k = 0; k < SHARED; k++) {
        int i = me % 2 ? SHARED - 1 - k : k;   /* half the threads the other way round */
        got[me][i] = cw_lock_table_get(shared_addr(i));
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t th[THREADS];
    pthread_barrier_init(&go, NULL, THREADS);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, insert, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&go);
    int bad = 0;
    for (int i = 0; i < SHARED; i++) {
        cw_lock_slot *s = cw_lock_table_find(shared_addr(i));
        bad += s == NULL;
        for (int t = 0; t < THREADS; t++)
            bad += got[t][i] != s;
    }
    CHECK(bad == 0);
}

int main(void)
{
    test_probe_window();   /* first: its slots must still be empty */
    test_get_and_find();
    test_neighbours();
    test_many();
    test_threads();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}

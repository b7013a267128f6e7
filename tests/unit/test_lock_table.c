/*
 * Proves the lock table (detector/events/lock_table.c): cw_lock_table_get
 * inserts an address and returns its slot, the same slot every time;
 * cw_lock_table_find returns it too but never inserts; distinct addresses,
 * however close, get distinct slots; address 0 is never a lock; addresses
 * that fill a probe window spill into the next level; many addresses all stay findable and the table grows with them; threads inserting the same
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

/* Addresses that all hash to one entry of the index's first level (found by
 * trying heap-like addresses): its probe window (64 entries) fills, and the
 * rest spill into a next level, whose own hash spreads them out again.  None
 * is lost, and every one keeps its slot. */
static void test_probe_window(void)
{
    enum { N = 70 };
    const uint32_t h = 1234;
    uintptr_t addr[N];
    int n = 0;
    for (uintptr_t a = 0x6600000000ull; n < N; a += 8)
        if (cw_lock_table_hash(a, 0, 12) == h)
            addr[n++] = a;
    cw_lock_slot *slots[N];
    for (int i = 0; i < N; i++)
        slots[i] = cw_lock_table_get(addr[i]);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        bad += slots[i] == NULL || cw_lock_table_find(addr[i]) != slots[i];
        for (int j = 0; j < i; j++)
            bad += slots[j] == slots[i];
    }
    CHECK(bad == 0);
}

/* The table grows with the addresses in use: a slot each (in chunks of
 * 16384), and at most 4 index entries of 8 bytes each (levels twice as big
 * as the last, filled to 60%). */
static void test_sized_to_use(size_t addresses)
{
    size_t bytes = cw_lock_table_bytes();
    CHECK(bytes >= addresses * sizeof(cw_lock_slot));
    CHECK(bytes <= (addresses + 16384) * sizeof(cw_lock_slot) + (4096 + addresses * 4) * 8);
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
    CHECK(cw_lock_table_bytes() == 0);   /* nothing mapped before the first lock */
    test_probe_window();   /* first: its slots must still be empty */
    test_get_and_find();
    test_neighbours();
    test_many();
    test_sized_to_use(70 + 2 + 256 + 300000);
    test_threads();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}

#include "known_edges.h"

#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>

#include "common/hash.h"
#include "common/shim_health.h"

#define SET_BITS 14
#define WAYS 4

typedef struct note {
    _Atomic uint64_t key;       /* fingerprint of (from, to), never 0; 0 = empty */
    _Atomic uint64_t gate;
} note;

static note (*_Atomic notes)[WAYS];

static uint64_t key_of(uint64_t from, uint64_t to)
{
    return cw_mix64(from ^ cw_mix64(to ^ 0x2545f4914f6cdd1dull)) | 1;
}

static note *set_of(note (*table)[WAYS], uint64_t key)
{
    return table[(key >> 40) & ((1u << SET_BITS) - 1)];
}

void cw_known_edge_put(uint64_t from, uint64_t to, uint64_t gate)
{
    note (*table)[WAYS] = atomic_load_explicit(&notes, memory_order_relaxed);
    if (!table) {
        void *p = cw_shim_mmap(sizeof(note[WAYS]) << SET_BITS, MAP_NORESERVE, "the known-edges table");
        if (!p)
            return;
        table = p;
        atomic_store_explicit(&notes, table, memory_order_release);
    }
    uint64_t key = key_of(from, to);
    note *set = set_of(table, key);
    /* The edge's own note, else an empty place, else one the key picks. */
    int way = -1, empty = -1;
    for (int i = 0; i < WAYS; i++) {
        uint64_t k = atomic_load_explicit(&set[i].key, memory_order_relaxed);
        if (k == key)
            way = i;
        else if (k == 0 && empty < 0)
            empty = i;
    }
    if (way < 0)
        way = empty >= 0 ? empty : (int)(key >> 1) & (WAYS - 1);
    note *n = &set[way];
    /* Seqlock-like: the key is cleared while the gate changes. */
    atomic_store_explicit(&n->key, 0, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&n->gate, gate, memory_order_relaxed);
    atomic_store_explicit(&n->key, key, memory_order_release);
}

bool cw_known_edge_get(uint64_t from, uint64_t to, uint64_t *gate)
{
    note (*table)[WAYS] = atomic_load_explicit(&notes, memory_order_acquire);
    if (!table)
        return false;
    uint64_t key = key_of(from, to);
    note *set = set_of(table, key);
    for (int i = 0; i < WAYS; i++) {
        if (atomic_load_explicit(&set[i].key, memory_order_acquire) != key)
            continue;
        uint64_t g = atomic_load_explicit(&set[i].gate, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&set[i].key, memory_order_relaxed) != key)
            return false;   /* being rewritten */
        *gate = g;
        return true;
    }
    return false;
}

#include "stack_depot.h"

#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "common/shim_health.h"
#include "common/spin_lock.h"

/* Entries live in mmap'd chunks and are never freed: a program has a bounded
 * number of distinct acquire sites, and ids must stay valid for reports. */
typedef struct depot_entry {
    struct depot_entry *next;     /* hash chain */
    uint64_t hash;
    uint32_t n;
    uintptr_t pcs[];
} depot_entry;

#define BUCKETS (1u << 16)
#define CHUNK (1u << 20)
#define MAX_IDS (1u << 22)

static depot_entry *_Atomic buckets[BUCKETS];
static depot_entry *_Atomic *by_id;   /* id -> entry, mmap'd lazily */
static _Atomic uint32_t next_id = 1;
static cw_spin_lock depot_lock;
static char *arena;
static size_t arena_left;

static uint64_t hash_pcs(const uintptr_t *pcs, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    for (size_t i = 0; i < n; i++) {
        h ^= pcs[i];
        h *= 0x100000001b3ull;
        h ^= h >> 29;
    }
    return h;
}

static void *arena_alloc(size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size > arena_left) {
        size_t chunk = size > CHUNK ? size : CHUNK;
        void *p = cw_shim_mmap(chunk, 0, "the stack depot");
        if (!p)
            return NULL;
        arena = p;
        arena_left = chunk;
    }
    void *p = arena;
    arena += size;
    arena_left -= size;
    return p;
}

static depot_entry *find(depot_entry *e, uint64_t h, const uintptr_t *pcs, size_t n)
{
    for (; e; e = e->next)
        if (e->hash == h && e->n == n && memcmp(e->pcs, pcs, n * sizeof *pcs) == 0)
            return e;
    return NULL;
}

cw_stack_id cw_stack_depot_put(const uintptr_t *pcs, size_t n)
{
    if (n == 0)
        return 0;
    if (n > CW_MAX_FRAMES)
        n = CW_MAX_FRAMES;
    uint64_t h = hash_pcs(pcs, n);
    _Atomic(depot_entry *) *bucket = &buckets[h % BUCKETS];

    cw_spin_lock_acquire(&depot_lock);
    cw_stack_id id = 0;
    depot_entry *e = find(atomic_load_explicit(bucket, memory_order_acquire), h, pcs, n);
    if (e) {
        id = (cw_stack_id)e->pcs[n];   /* each entry keeps its id after its frames */
        goto out;
    }
    if (!by_id) {
        void *p = cw_shim_mmap(MAX_IDS * sizeof(void *), MAP_NORESERVE, "the stack depot's index");
        if (!p)
            goto out;
        by_id = p;
    }
    uint32_t next = atomic_load_explicit(&next_id, memory_order_relaxed);
    if (next >= MAX_IDS)
        goto out;
    e = arena_alloc(sizeof *e + (n + 1) * sizeof *pcs);
    if (!e)
        goto out;
    e->hash = h;
    e->n = (uint32_t)n;
    memcpy(e->pcs, pcs, n * sizeof *pcs);
    e->pcs[n] = next;
    e->next = atomic_load_explicit(bucket, memory_order_relaxed);
    atomic_store_explicit(&by_id[next], e, memory_order_release);
    atomic_store_explicit(bucket, e, memory_order_release);
    atomic_store_explicit(&next_id, next + 1, memory_order_release);
    id = next;
out:
    cw_spin_lock_release(&depot_lock);
    return id;
}

const uintptr_t *cw_stack_depot_get(cw_stack_id id, size_t *n)
{
    *n = 0;
    if (id == 0 || id >= atomic_load_explicit(&next_id, memory_order_acquire) || !by_id)
        return NULL;
    depot_entry *e = atomic_load_explicit(&by_id[id], memory_order_acquire);
    if (!e)
        return NULL;
    *n = e->n;
    return e->pcs;
}

void cw_stack_depot_before_fork(void) { cw_spin_lock_acquire(&depot_lock); }
void cw_stack_depot_after_fork(void) { cw_spin_lock_release(&depot_lock); }

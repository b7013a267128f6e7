#include "lock_table.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "common/shim_health.h"
#include "common/spin_lock.h"

/* Slots: dense, in chunks of CHUNK slots mmap'd as they are needed, handed
 * out in order and never moved or freed: memory is what the addresses in use
 * need, and a slot pointer stays valid for the life of the process. */
#define CHUNK_BITS 14
#define CHUNK (1u << CHUNK_BITS)
#define MAX_CHUNKS (1u << 18)

/* The index from address to slot number: levels of 8-byte entries, level l
 * has 2^(FIRST_BITS + l) of them.  A new address goes into the newest level
 * until that level is FILL_NUM/FILL_DEN full (or its probe window for the
 * address is), then into a new level twice as big; entries never move, so
 * lookups need no lock.  An entry is (32-bit tag of the address << 32) |
 * (slot number + 1); 0 is empty. */
#define FIRST_BITS 12
#define MAX_LEVELS 20
#define MAX_PROBES 64
#define FILL_NUM 3
#define FILL_DEN 5

typedef struct level {
    _Atomic uint64_t *entry;
    uint64_t mul;       /* the level's hash: (addr * mul) >> shift */
    uint32_t shift, mask;
    uint32_t bits;
    uint32_t used;      /* under insert_lock */
} level;

static cw_lock_slot *_Atomic chunks[MAX_CHUNKS];
static uint32_t nslots;                 /* under insert_lock */
static level levels[MAX_LEVELS];
static _Atomic uint32_t nlevels;        /* levels[0 .. nlevels) are published */
static cw_spin_lock insert_lock;        /* inserters only: lookups never wait */

static inline uint32_t tag_of(uintptr_t addr)
{
    return (uint32_t)(((uint64_t)addr * 0xc2b2ae3d27d4eb4full) >> 32);
}

static inline cw_lock_slot *slot_at(uint32_t n)
{
    return &atomic_load_explicit(&chunks[n >> CHUNK_BITS], memory_order_relaxed)[n & (CHUNK - 1)];
}

static inline uint32_t home(const level *lv, uintptr_t addr)
{
    return (uint32_t)(((uint64_t)addr * lv->mul) >> lv->shift);
}

static inline cw_lock_slot *level_find(const level *lv, uintptr_t addr, uint32_t tag)
{
    uint32_t mask = lv->mask, i = home(lv, addr);
    for (int probe = 0; probe < MAX_PROBES; probe++, i = (i + 1) & mask) {
        uint64_t e = atomic_load_explicit(&lv->entry[i], memory_order_acquire);
        if (e == 0)
            return NULL;
        if ((uint32_t)(e >> 32) == tag) {
            cw_lock_slot *s = slot_at((uint32_t)e - 1);
            if (atomic_load_explicit(&s->addr, memory_order_relaxed) == addr)
                return s;
        }
    }
    return NULL;
}

static inline cw_lock_slot *find(uintptr_t addr)
{
    uint32_t tag = tag_of(addr);
    /* Newest first: it holds about half of the addresses. */
    for (uint32_t l = atomic_load_explicit(&nlevels, memory_order_acquire); l-- > 0;) {
        cw_lock_slot *s = level_find(&levels[l], addr, tag);
        if (s)
            return s;
    }
    return NULL;
}

/* Under insert_lock: a new slot for addr, or NULL when out of memory. */
static cw_lock_slot *new_slot(uintptr_t addr, uint32_t *number)
{
    uint32_t n = nslots;
    if (n == UINT32_MAX - 1 || (n >> CHUNK_BITS) >= MAX_CHUNKS)
        return NULL;
    if (!atomic_load_explicit(&chunks[n >> CHUNK_BITS], memory_order_relaxed)) {
        void *p = cw_shim_mmap((size_t)CHUNK * sizeof(cw_lock_slot), MAP_NORESERVE, "the lock table");
        if (!p)
            return NULL;
        atomic_store_explicit(&chunks[n >> CHUNK_BITS], p, memory_order_relaxed);
    }
    cw_lock_slot *s = slot_at(n);
    /* Never used before (slots are never freed): the other fields are zero.
     * Published to lookups by the release store of its index entry. */
    atomic_store_explicit(&s->addr, addr, memory_order_relaxed);
    nslots = n + 1;
    *number = n;
    return s;
}

/* Under insert_lock: an index entry of level lv for the slot, or false when
 * the level is full (by load or in addr's window). */
static bool level_claim(level *lv, uintptr_t addr, uint64_t entry)
{
    if ((uint64_t)lv->used * FILL_DEN >= ((uint64_t)FILL_NUM << lv->bits))
        return false;
    uint32_t mask = lv->mask, i = home(lv, addr);
    for (int probe = 0; probe < MAX_PROBES; probe++, i = (i + 1) & mask) {
        if (atomic_load_explicit(&lv->entry[i], memory_order_relaxed) != 0)
            continue;
        atomic_store_explicit(&lv->entry[i], entry, memory_order_release);
        lv->used++;
        return true;
    }
    return false;
}

static bool add_level(void)
{
    uint32_t n = atomic_load_explicit(&nlevels, memory_order_relaxed);
    if (n == MAX_LEVELS)
        return false;
    uint32_t bits = FIRST_BITS + n;
    void *p = cw_shim_mmap(((size_t)1 << bits) * sizeof(uint64_t), MAP_NORESERVE, "the lock table's index");
    if (!p)
        return false;
    /* The same hash as cw_lock_table_hash (l = n), precomputed. */
    levels[n] = (level){ .entry = p, .mul = 0x9e3779b97f4a7c15ull + n * 0xdaa66d2c7ddf743eull,
                         .shift = 64 - bits, .mask = (1u << bits) - 1, .bits = bits };
    atomic_store_explicit(&nlevels, n + 1, memory_order_release);
    return true;
}

__attribute__((noinline)) static cw_lock_slot *insert(uintptr_t addr)
{
    int saved = errno;   /* mmap may fail: the callers' fast paths keep no errno */
    cw_spin_lock_acquire(&insert_lock);
    cw_lock_slot *s = find(addr);   /* another thread may have just inserted it */
    uint32_t number;
    if (!s && (s = new_slot(addr, &number)) != NULL) {
        uint64_t entry = (uint64_t)tag_of(addr) << 32 | (number + 1);
        for (;;) {
            uint32_t n = atomic_load_explicit(&nlevels, memory_order_relaxed);
            if (n > 0 && level_claim(&levels[n - 1], addr, entry))
                break;
            if (!add_level()) {
                /* Out of memory: not tracked.  The slot stays unused (its
                 * address is set, but no lookup can reach it). */
                s = NULL;
                break;
            }
        }
    }
    cw_spin_lock_release(&insert_lock);
    errno = saved;
    return s;
}

cw_lock_slot *cw_lock_table_get(uintptr_t addr)
{
    if (addr == 0)
        return NULL;
    cw_lock_slot *s = find(addr);
    return s ? s : insert(addr);
}

cw_lock_slot *cw_lock_table_find(uintptr_t addr)
{
    return addr ? find(addr) : NULL;
}

size_t cw_lock_table_bytes(void)
{
    size_t bytes = 0;
    for (uint32_t l = 0; l < atomic_load(&nlevels); l++)
        bytes += ((size_t)1 << levels[l].bits) * sizeof(uint64_t);
    for (uint32_t c = 0; c < MAX_CHUNKS && atomic_load(&chunks[c]); c++)
        bytes += (size_t)CHUNK * sizeof(cw_lock_slot);
    return bytes;
}

void cw_lock_table_before_fork(void) { cw_spin_lock_acquire(&insert_lock); }
void cw_lock_table_after_fork(void) { cw_spin_lock_release(&insert_lock); }

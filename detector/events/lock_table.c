#include "lock_table.h"

#include <stdbool.h>
#include <sys/mman.h>

#include "common/shim_health.h"
#include "common/hash.h"

#define TABLE_BITS 22
#define TABLE_SIZE (1u << TABLE_BITS)
#define MAX_PROBES 64

static cw_lock_slot *_Atomic table;

static cw_lock_slot *the_table(void)
{
    cw_lock_slot *t = atomic_load_explicit(&table, memory_order_acquire);
    if (__builtin_expect(t != NULL, 1))
        return t;
    void *p = cw_shim_mmap((size_t)TABLE_SIZE * sizeof(cw_lock_slot), MAP_NORESERVE, "the lock table");
    if (!p)
        return NULL;
    cw_lock_slot *expected = NULL;
    if (!atomic_compare_exchange_strong(&table, &expected, (cw_lock_slot *)p)) {
        munmap(p, (size_t)TABLE_SIZE * sizeof(cw_lock_slot));
        return expected;
    }
    return p;
}

static inline uint32_t slot_hash(uintptr_t addr)
{
    return cw_hash_addr(addr, TABLE_BITS);
}

static cw_lock_slot *lookup(uintptr_t addr, bool insert)
{
    cw_lock_slot *t = the_table();
    if (!t || addr == 0)
        return NULL;
    uint32_t i = slot_hash(addr);
    for (int probe = 0; probe < MAX_PROBES; probe++, i = (i + 1) & (TABLE_SIZE - 1)) {
        uintptr_t a = atomic_load_explicit(&t[i].addr, memory_order_acquire);
        if (a == addr)
            return &t[i];
        if (a != 0)
            continue;
        if (!insert)
            return NULL;
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong(&t[i].addr, &expected, addr) || expected == addr)
            return &t[i];
    }
    return NULL;
}

cw_lock_slot *cw_lock_table_get(uintptr_t addr) { return lookup(addr, true); }
cw_lock_slot *cw_lock_table_find(uintptr_t addr) { return lookup(addr, false); }

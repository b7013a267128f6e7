#include "object_table.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>

#include "common/hash.h"

#define TABLE_BITS 18
#define TABLE_SIZE (1u << TABLE_BITS)
#define MAX_PROBES 64

static cw_object_slot *_Atomic table;

static cw_object_slot *the_table(void)
{
    cw_object_slot *t = atomic_load_explicit(&table, memory_order_acquire);
    if (__builtin_expect(t != NULL, 1))
        return t;
    void *p = mmap(NULL, (size_t)TABLE_SIZE * sizeof(cw_object_slot), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    cw_object_slot *expected = NULL;
    if (!atomic_compare_exchange_strong(&table, &expected, (cw_object_slot *)p)) {
        munmap(p, (size_t)TABLE_SIZE * sizeof(cw_object_slot));
        return expected;
    }
    return p;
}

static cw_object_slot *lookup(uintptr_t addr, bool insert)
{
    cw_object_slot *t = insert ? the_table() : atomic_load_explicit(&table, memory_order_acquire);
    if (!t || addr == 0)
        return NULL;
    uint32_t i = cw_hash_addr(addr, TABLE_BITS);
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

cw_object_slot *cw_object_table_get(uintptr_t addr) { return lookup(addr, true); }
cw_object_slot *cw_object_table_find(uintptr_t addr) { return lookup(addr, false); }

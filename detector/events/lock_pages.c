#include "lock_pages.h"

#include <errno.h>
#include <sys/mman.h>

#include "common/hash.h"

#define TABLE_BITS 17                    /* 128 Ki pages (512 MiB of memory holding locks) */
#define TABLE_SIZE (1u << TABLE_BITS)
#define MAX_PROBES 32
#define WORDS_PER_PAGE ((1u << CW_LOCK_PAGE_SHIFT) / 8)

_Atomic uint64_t cw_lock_filter[1u << (CW_LOCK_FILTER_BITS - 6)];
atomic_bool cw_lock_pages_used;

typedef struct page_entry {
    _Atomic uintptr_t page;              /* page number + 1; 0 = empty */
    _Atomic uint64_t words[WORDS_PER_PAGE / 64];
} page_entry;

static page_entry *_Atomic table;

static page_entry *the_table(void)
{
    page_entry *t = atomic_load_explicit(&table, memory_order_acquire);
    if (__builtin_expect(t != NULL, 1))
        return t;
    int saved = errno;
    void *p = mmap(NULL, (size_t)TABLE_SIZE * sizeof(page_entry), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        errno = saved;   /* mutex init's fast path keeps no errno (preload/intercept_mutex.c) */
        return NULL;
    }
    page_entry *expected = NULL;
    if (!atomic_compare_exchange_strong(&table, &expected, (page_entry *)p)) {
        munmap(p, (size_t)TABLE_SIZE * sizeof(page_entry));
        return expected;
    }
    return p;
}

static page_entry *lookup(uintptr_t page, bool insert)
{
    page_entry *t = insert ? the_table() : atomic_load_explicit(&table, memory_order_acquire);
    if (!t)
        return NULL;
    uintptr_t key = page + 1;
    uint32_t i = cw_hash_addr(page, TABLE_BITS);
    for (int probe = 0; probe < MAX_PROBES; probe++, i = (i + 1) & (TABLE_SIZE - 1)) {
        uintptr_t k = atomic_load_explicit(&t[i].page, memory_order_acquire);
        if (k == key)
            return &t[i];
        if (k != 0)
            continue;
        if (!insert)
            return NULL;
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong(&t[i].page, &expected, key) || expected == key)
            return &t[i];
    }
    return NULL;
}

void cw_lock_pages_add(uintptr_t addr)
{
    uintptr_t page = addr >> CW_LOCK_PAGE_SHIFT;
    page_entry *e = lookup(page, true);
    if (!e)
        return;
    uint32_t w = (uint32_t)(addr & ((1u << CW_LOCK_PAGE_SHIFT) - 1)) / 8;
    atomic_fetch_or_explicit(&e->words[w / 64], (uint64_t)1 << (w % 64), memory_order_release);
    for (uintptr_t p = page - 1; p <= page; p++) {   /* a block starting on the page before reaches it too */
        uint32_t b = cw_lock_filter_bit(p);
        if (!((atomic_load_explicit(&cw_lock_filter[b >> 6], memory_order_relaxed) >> (b & 63)) & 1))
            atomic_fetch_or_explicit(&cw_lock_filter[b >> 6], (uint64_t)1 << (b & 63), memory_order_release);
    }
    if (!atomic_load_explicit(&cw_lock_pages_used, memory_order_relaxed))
        atomic_store(&cw_lock_pages_used, true);
}

void cw_lock_pages_remove(uintptr_t addr)
{
    uintptr_t page = addr >> CW_LOCK_PAGE_SHIFT;
    if (!cw_lock_filter_has(page))
        return;
    page_entry *e = lookup(page, false);
    if (!e)
        return;
    uint32_t w = (uint32_t)(addr & ((1u << CW_LOCK_PAGE_SHIFT) - 1)) / 8;
    uint64_t bit = (uint64_t)1 << (w % 64);
    if (atomic_load_explicit(&e->words[w / 64], memory_order_relaxed) & bit)
        atomic_fetch_and_explicit(&e->words[w / 64], ~bit, memory_order_release);
}

size_t cw_lock_pages_find(uintptr_t lo, uintptr_t hi, uintptr_t *out, size_t max)
{
    size_t n = 0;
    if (hi <= lo || !atomic_load_explicit(&cw_lock_pages_used, memory_order_relaxed))
        return 0;
    const uintptr_t page_size = (uintptr_t)1 << CW_LOCK_PAGE_SHIFT;
    for (uintptr_t page = lo >> CW_LOCK_PAGE_SHIFT; page <= (hi - 1) >> CW_LOCK_PAGE_SHIFT && n < max; page++) {
        if (!cw_lock_filter_has(page))
            continue;
        page_entry *e = lookup(page, false);
        if (!e)
            continue;
        uintptr_t base = page << CW_LOCK_PAGE_SHIFT;
        uint32_t first = lo > base ? (uint32_t)((lo - base + 7) / 8) : 0;   /* locks that start in range */
        uint32_t end = hi - base < page_size ? (uint32_t)((hi - base + 7) / 8) : WORDS_PER_PAGE;
        for (uint32_t group = first / 64; group * 64 < end && n < max; group++) {
            uint64_t bits = atomic_load_explicit(&e->words[group], memory_order_acquire);
            if (group == first / 64)
                bits &= ~0ull << (first % 64);
            if (group == (end - 1) / 64 && end % 64)
                bits &= ~(~0ull << (end % 64));
            for (; bits && n < max; bits &= bits - 1)
                out[n++] = base + ((uintptr_t)group * 64 + (uintptr_t)__builtin_ctzll(bits)) * 8;
        }
    }
    return n;
}

/*
 * Lock pages: where in memory the locks the shim knows of live, so that
 * free() and munmap() can tell cheaply whether the memory they release may
 * hold one.
 *
 * free is one of a program's hottest calls, and nearly every block it
 * releases holds no lock.  The question "does [lo, hi) hold a lock?" is
 * answered in two steps:
 *   - a filter: one bit per 4 KiB page, hashed into 256 Kibit (32 KiB, stays
 *     in cache), set for a lock's page and the page before it: clear for the
 *     page a block starts in = no lock in the block's first two pages, which
 *     is the answer for nearly every free;
 *   - the exact index: per page that ever held a lock, one bit per 8-byte
 *     word where a lock starts (a lock-free open-addressing table of pages).
 * Locks are added when they are initialised (mutex, rwlock, spinlock) or
 * first take part in nesting (statically initialised ones), and removed when
 * destroyed or when the memory holding them is released.  Filter bits are
 * never cleared (a stale one costs one exact lookup).  When the table is full
 * new pages are not indexed: free() then misses their locks, never reports
 * a lock that is not there.
 *
 * The filter looks at the block's first two pages only (a free does not
 * know the block's size before asking the allocator): a lock deeper in a
 * large block is found only when one of its first two pages holds a lock too
 * (an array of locked structures), or when the freeing thread holds it.
 */
#ifndef CW_LOCK_PAGES_H
#define CW_LOCK_PAGES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_LOCK_PAGE_SHIFT 12
#define CW_LOCK_FILTER_BITS 18

extern _Atomic uint64_t cw_lock_filter[1u << (CW_LOCK_FILTER_BITS - 6)];
extern atomic_bool cw_lock_pages_used;

static inline uint32_t cw_lock_filter_bit(uintptr_t page)
{
    return (uint32_t)((page * 0x9e3779b97f4a7c15ull) >> (64 - CW_LOCK_FILTER_BITS));
}

static inline bool cw_lock_filter_has(uintptr_t page)
{
    uint32_t b = cw_lock_filter_bit(page);
    return (atomic_load_explicit(&cw_lock_filter[b >> 6], memory_order_relaxed) >> (b & 63)) & 1;
}

/* Whether the memory starting at addr may hold a known lock in its first two
 * pages: false is certain.  The cost of a free that holds none: one bit
 * (a lock sets the bit of its page and of the page before it). */
static inline bool cw_lock_pages_maybe(uintptr_t addr)
{
    return cw_lock_filter_has(addr >> CW_LOCK_PAGE_SHIFT);
}

/* A lock starts at addr (8-byte granularity: a 4-byte spinlock at addr+4
 * shares addr's word). */
void cw_lock_pages_add(uintptr_t addr);
void cw_lock_pages_remove(uintptr_t addr);

/* The words in [lo, hi) where known locks start, at most max of them; returns
 * how many were found (more may exist when it returns max).  Walks every
 * page of the range through the filter first. */
size_t cw_lock_pages_find(uintptr_t lo, uintptr_t hi, uintptr_t *out, size_t max);

#endif

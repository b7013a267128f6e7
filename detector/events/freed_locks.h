/*
 * Memory released while it holds a locked lock: free() or munmap() of a
 * structure whose mutex is still locked, by the caller or by another thread.
 *
 * The lock dies with its memory while someone holds it: its holder will
 * unlock freed (maybe reused) memory, or never unlock it; a waiter may wait
 * for ever.  One `misuse` finding per call, naming every locked lock in the
 * memory and who holds it; what the holders then do with it (unlock, end
 * while holding it) is the same bug and not reported again.
 *
 * The interceptors call this only when the memory may hold a lock
 * (lock_pages.h) or the caller holds a lock near it: the cost of a free that
 * holds none is a few loads.
 */
#ifndef CW_FREED_LOCKS_H
#define CW_FREED_LOCKS_H

#include <stdint.h>

#include "thread_state.h"

/* [lo, hi) is about to be released by t (verb: "frees", "unmaps"), called at pc. */
void cw_memory_released(cw_thread *t, uintptr_t lo, uintptr_t hi, const char *verb, uintptr_t pc);

/* Whether t holds a lock in the first 8 KiB from addr (a free that must look
 * closer).  Inline: a load and a predictable branch when it holds none. */
static inline int cw_holds_lock_near(const cw_thread *t, uintptr_t addr)
{
    if (__builtin_expect(!t || t->nheld == 0, 1))
        return 0;
    for (uint32_t i = 0; i < t->nheld && i < CW_MAX_HELD; i++)
        if (t->held[i].addr - addr < 8192)
            return 1;
    return 0;
}

#endif

#define _GNU_SOURCE
/*
 * free() and munmap(): memory released while it holds a locked lock
 * (events/freed_locks.h).
 *
 * free is among the hottest calls of many programs: a block that holds no
 * lock the shim knows of costs a thread-local load, a test of the caller's
 * held-lock count, one global flag and one bit of a 32 KiB filter
 * (events/lock_pages.h), nothing else.  Only when the filter or a held lock
 * says "maybe" is the block's size asked of the allocator and the block
 * looked at.
 *
 * The allocator's free is the next one after the shim (dlsym RTLD_NEXT: a
 * jemalloc or tcmalloc linked into the program, glibc's otherwise).  A free
 * that arrives while that lookup is itself under way (dlsym may free) is
 * dropped: leaking one block is harmless, freeing it with the wrong
 * allocator is not.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "interceptor.h"
#include "events/freed_locks.h"
#include "events/lock_pages.h"

/* The size of the block, from the allocator that made it; when its
 * malloc_usable_size is not the one of the free found (an allocator that has
 * none), the block's first bytes only. */
static size_t block_size(void *p)
{
    static int same_allocator = -1;   /* unknown yet */
    if (same_allocator < 0) {
        Dl_info a, b;
        void *usable = (void *)REAL(malloc_usable_size), *f = (void *)REAL(free);
        same_allocator = usable && f && dladdr(usable, &a) && dladdr(f, &b) && a.dli_fbase == b.dli_fbase;
    }
    return same_allocator ? cw_real_malloc_usable_size(p) : 64;
}

__attribute__((noinline)) static void check_free(void *p, uintptr_t pc)
{
    cw_thread *t = cw_enter_from(pc);
    if (!t)
        return;
    int saved = errno;
    uintptr_t lo = (uintptr_t)p;
    cw_memory_released(t, lo, lo + block_size(p), "frees", pc);
    errno = saved;
    cw_leave(t);
}

void free(void *p)
{
    if (__builtin_expect(cw_lock_pages_maybe((uintptr_t)p) || cw_holds_lock_near(cw_tls_self, (uintptr_t)p), 0) &&
        p != NULL)
        check_free(p, CW_CALLER_PC());
    void (*real)(void *) = cw_real_free;
    if (__builtin_expect(!real, 0)) {
        cw_real_functions_resolve();
        real = cw_real_free;
        if (!real)
            return;   /* called from inside the lookup: leak it */
    }
    real(p);
}

int munmap(void *addr, size_t len)
{
    uintptr_t pc = CW_CALLER_PC();
    cw_thread *t = cw_enter_from(pc);
    if (t) {
        int saved = errno;
        cw_memory_released(t, (uintptr_t)addr, (uintptr_t)addr + len, "unmaps", pc);
        errno = saved;
        cw_leave(t);
    }
    return REAL(munmap)(addr, len);
}

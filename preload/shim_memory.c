/*
 * The shim's own memset, memcpy, memmove and memcmp.
 *
 * Hidden definitions: every call the shim's code makes to these (written
 * out, or emitted by the compiler for a struct copy or a loop, such as the
 * shift of a thread's held-lock list when a lock other than the last one is
 * released) binds to them at link time instead of going through the PLT to
 * whatever the process put first.  In a program built with -fsanitize=thread
 * that is ThreadSanitizer's interceptor, which records the shim's stores into
 * its own bookkeeping as if the program had made them: a slot of the thread
 * registry reused by a later thread, or the held list shifted by two threads
 * that had that slot one after the other, with nothing TSan can see ordering
 * them (the registry's lock is the shim's own atomics), became a "data race"
 * reported in the program's pthread_mutex_unlock.  With these, TSan sees none
 * of the shim's memory traffic, as it sees none of its plain loads and stores.
 *
 * Built with -fno-tree-loop-distribute-patterns (preload/CMakeLists.txt): the
 * loops below must not be turned back into calls to themselves.
 */
#include <stddef.h>
#include <stdint.h>

#define CW_OWN __attribute__((visibility("hidden")))

typedef uint64_t __attribute__((may_alias, aligned(1))) word;

CW_OWN void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    uint64_t w = (unsigned char)c * 0x0101010101010101ull;
    for (; n >= 8; n -= 8, d += 8)
        *(word *)d = w;
    for (; n; n--)
        *d++ = (unsigned char)c;
    return dst;
}

/* Word by word, lowest first: also right for overlapping ranges with dst
 * below src (no restrict: the compiler must not widen it past that). */
static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
    for (; n >= 8; n -= 8, d += 8, s += 8)
        *(word *)d = *(const word *)s;
    for (; n; n--)
        *d++ = *s++;
}

CW_OWN void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    copy_forward(dst, src, n);
    return dst;
}

CW_OWN void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((uintptr_t)d - (uintptr_t)s >= n) {   /* no overlap that a forward copy would clobber */
        copy_forward(d, s, n);
        return dst;
    }
    d += n;
    s += n;
    for (; n >= 8; n -= 8) {
        d -= 8;
        s -= 8;
        *(word *)d = *(const word *)s;
    }
    for (; n; n--)
        *--d = *--s;
    return dst;
}

CW_OWN int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x < *y ? -1 : 1;
    return 0;
}

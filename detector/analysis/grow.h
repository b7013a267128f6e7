/* Growing a malloc'd array to hold `need` elements (doubling; false when out
 * of memory, the array unchanged).  Shared by the graph and the lock order. */
#ifndef CW_GROW_H
#define CW_GROW_H

#include <stdbool.h>
#include <stdlib.h>

static inline bool grow(void **v, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap : 16;
    while (cap2 < need)
        cap2 *= 2;
    void *p = realloc(*v, cap2 * elem);
    if (p == NULL)
        return false;
    *v = p;
    *cap = cap2;
    return true;
}

#endif

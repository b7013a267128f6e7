#define _GNU_SOURCE
#include "xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void out_of_memory(void)
{
    fputs("concwatch: out of memory\n", stderr);
    exit(2);
}

void *cw_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *cw_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *cw_xreallocarray(void *ptr, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        out_of_memory();
    size_t bytes = n * size;
    void *p = realloc(ptr, bytes > 0 ? bytes : 1);
    if (!p)
        out_of_memory();
    return p;
}

char *cw_xstrdup(const char *s)
{
    return s ? cw_xstrndup(s, strlen(s)) : NULL;
}

char *cw_xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (!p)
        out_of_memory();
    return p;
}

char *cw_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory();
    return s;
}

/* Capacity is the smallest power of two >= n (0 for n == 0). */
static int needs_growth(size_t n)
{
    return n == 0 || (n & (n - 1)) == 0;
}

void *cw_array_push(void *items_ptr, size_t *n, size_t elem_size)
{
    void **items = items_ptr;
    if (needs_growth(*n))
        *items = cw_xreallocarray(*items, *n ? *n * 2 : 1, elem_size);
    char *slot = (char *)*items + *n * elem_size;
    memset(slot, 0, elem_size);
    (*n)++;
    return slot;
}

/*
 * Allocation helpers for the launcher-side report code.
 *
 * The launcher is a short-lived command-line tool: if memory runs out while
 * it reads or renders a report there is nothing sensible left to do, so these
 * print one line and exit(2) (concwatch's own-error status) instead of making
 * every caller carry an out-of-memory path.  Never use them in the shim.
 */
#ifndef CW_XALLOC_H
#define CW_XALLOC_H

#include <stddef.h>

void *cw_xmalloc(size_t size);
void *cw_xcalloc(size_t n, size_t size);
/* Grows (or shrinks) an array of n elements of size bytes; checks n*size for overflow. */
void *cw_xreallocarray(void *ptr, size_t n, size_t size);
char *cw_xstrdup(const char *s);          /* NULL stays NULL */
char *cw_xstrndup(const char *s, size_t n);
/* printf into a new string. */
char *cw_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Appends one zeroed element to a growable array (*items, *n) and returns it.
 * Capacity doubles; it is not stored, but recomputed from n (powers of two),
 * so structs in finding.h need no extra capacity fields.  Use it only on
 * arrays built by it (or allocated with at least that capacity); removing
 * elements (n shrinks) is fine.
 */
void *cw_array_push(void *items_ptr, size_t *n, size_t elem_size);

#endif

/*
 * Reading memory that may not be there, without crashing.
 *
 * The hang watcher reads another runtime's structures (CPython's thread
 * states and frames) from a thread that holds none of that runtime's locks:
 * a pointer read while its owner changes it can be torn or point to memory
 * already unmapped.  A plain load would take the whole program down with
 * SIGSEGV; these reads fail instead.  They cost a system call each
 * (process_vm_readv on the process itself; where a seccomp policy forbids
 * it, a write into a pipe, which fails with EFAULT just the same), so they
 * are for reports, never for the lock path.
 */
#ifndef CW_SAFE_READ_H
#define CW_SAFE_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies n bytes at addr into dst; false (dst undefined) if any of them cannot be read. */
bool cw_safe_read(void *dst, uintptr_t addr, size_t n);

/* Tests: read through the pipe, as where process_vm_readv is refused. */
void cw_safe_read_force_pipe(bool on);

/* The same for one pointer-sized word. */
static inline bool cw_safe_read_word(uintptr_t addr, uintptr_t *out)
{
    return cw_safe_read(out, addr, sizeof *out);
}

#endif

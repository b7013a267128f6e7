/*
 * What the data-race sampler may watch: the writable global and static data
 * objects of the program (its executable; not the C library or the shim).
 *
 * From the ELF symbol table (read from /proc/self/exe, .symtab, else
 * .dynsym): every STT_OBJECT with a size in a writable data section (.data,
 * .bss and the like; not the GOT, RELRO data or TLS), named, at its run-time
 * address (load bias + st_value).  Versioned names (`stdout@GLIBC_2.2.5`: a
 * copy-relocated library variable) and the C runtime's own (`completed.0`,
 * `__dso_handle`) are left out.
 *
 * An object is watched one *cell* at a time: one scalar of it (a debug
 * register covers 1, 2, 4 or 8 aligned bytes).  A watchpoint fires for any
 * access that overlaps it, so a cell must never span two scalars: two
 * threads writing neighbouring ints of an array would otherwise look like
 * a race.  When the executable has DWARF, libdw (opened privately with
 * dlopen, like libunwind, so none of its symbols enter the program's scope)
 * gives each variable's type: the cells are its scalar members and
 * elements (an array of structs repeats its element's cells), minus those
 * inside synchronisation objects (pthread_mutex_t and the other
 * pthread/semaphore types, C11 mtx_t/cnd_t) and atomics (_Atomic,
 * std::atomic), which are synchronisation, not races.  DWARF also gives the
 * line that defines the variable.  Without DWARF an object of 1, 2, 4 or 8
 * bytes is taken as one scalar and a larger one is watched byte by byte
 * (one byte can never span two scalars).
 *
 * Runs in the sampler thread only (it allocates).
 */
#ifndef CW_RACE_CANDIDATES_H
#define CW_RACE_CANDIDATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_RACE_MAX_CELLS 64

typedef struct cw_race_cell {
    uint32_t off;              /* from the start of the object (or of its period) */
    uint8_t len;               /* 1, 2, 4 or 8, and off + address aligned to it */
} cw_race_cell;

typedef struct cw_race_var {
    const char *name;
    uintptr_t addr;            /* run-time address */
    uint64_t link_addr;        /* address in the ELF image */
    uint64_t size;
    cw_race_cell *cells;       /* of one period (or of the whole object when period is 0) */
    unsigned ncells;
    uint64_t period;           /* an array: its element size; its cells repeat every period bytes */
    uint64_t nwords;           /* cells in all: ncells, times size / period for an array */
    const char *decl_file;     /* NULL when unknown */
    int decl_line;
    /* A pointer (from DWARF): the scalars of what it points to, to watch the
     * heap block it leads to (candidate_pool.h).  0 cells: not a pointer. */
    cw_race_cell *pointee_cells;
    unsigned pointee_ncells;
    uint64_t pointee_size;
} cw_race_var;

typedef struct cw_race_vars {
    cw_race_var *v;
    size_t n;
    const char *module;        /* path of the executable */
    bool have_dwarf;
    /* Why the program may synchronise in ways the shim does not see (its
     * code has atomic instructions, its variables atomic types, it takes C++
     * guarded statics...), NULL when nothing says so. */
    const char *unseen_sync;
} cw_race_vars;

/* Loads the program's candidates; false when there is nothing to watch. */
bool cw_race_vars_load(cw_race_vars *out);

/* The object a thread was started with (pthread_create's argument), when it
 * points into writable memory of the process (heap, a stack, data) and not
 * into one of `known`: its first CW_RACE_ARG_BYTES bytes (fewer at the end
 * of the mapping, or of the malloc block it is the start of), one byte cell
 * every 4 bytes.  One-byte cells are exact
 * without the object's type: two accesses that both touch the watched byte
 * touch the same memory, and every 4- or 8-byte field starts on one.
 * cells[] (CW_RACE_ARG_CELLS) and name[] are the caller's, kept as long as
 * *out is used.  False when it is not such a pointer. */
#define CW_RACE_ARG_BYTES 64
#define CW_RACE_ARG_CELLS (CW_RACE_ARG_BYTES / 4)
bool cw_race_var_for_arg(uintptr_t arg, const cw_race_vars *known, cw_race_var *out, cw_race_cell *cells,
                         char *name, size_t name_len);

/* The heap block a pointer variable leads to (its value `block`, a block
 * of the C library's malloc, at least as large as the pointee): the
 * pointee's cells, repeated when the block holds an array of them.  name[]
 * is the caller's.  False when block is not such a block. */
bool cw_race_var_for_pointee(const cw_race_var *ptr, uintptr_t block, cw_race_var *out, char *name, size_t name_len);

/* Cell k of v (k < v->nwords). */
static inline void cw_race_cell_at(const cw_race_var *v, uint64_t k, uintptr_t *addr, unsigned *len)
{
    const cw_race_cell *c = &v->cells[k % v->ncells];
    *addr = v->addr + (k / v->ncells) * v->period + c->off;
    *len = c->len;
}

#endif

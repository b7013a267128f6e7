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
 * When the executable has DWARF, libdw (opened privately with dlopen, like
 * libunwind, so none of its symbols enter the program's scope) adds the line
 * that defines each variable and its type, from which the words that are
 * synchronisation objects (pthread_mutex_t and the other pthread/semaphore
 * types, C11 mtx_t/cnd_t) or atomics (_Atomic, std::atomic) are marked: they
 * are never watched, since their accesses are synchronisation, not races.
 *
 * A debug register watches 1, 2, 4 or 8 aligned bytes: an object is watched
 * one "word" at a time, the largest such size that fits in it.
 * Runs in the sampler thread only (it allocates).
 */
#ifndef CW_RACE_CANDIDATES_H
#define CW_RACE_CANDIDATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cw_race_var {
    const char *name;
    uintptr_t addr;            /* run-time address */
    uint64_t link_addr;        /* address in the ELF image */
    uint64_t size;
    unsigned word_len;         /* 1, 2, 4 or 8 */
    uint64_t first_word;       /* run-time address of word 0 */
    uint64_t nwords;
    /* Words never to watch (sync objects, atomics), for words < 64, or with
     * `skip_period` words > 0 for word k at bit k % skip_period (arrays). */
    uint64_t skip;
    unsigned skip_period;
    const char *decl_file;     /* NULL when unknown */
    int decl_line;
} cw_race_var;

typedef struct cw_race_vars {
    cw_race_var *v;
    size_t n;
    const char *module;        /* path of the executable */
    bool have_dwarf;
} cw_race_vars;

/* Loads the program's candidates; false when there is nothing to watch. */
bool cw_race_vars_load(cw_race_vars *out);

static inline bool cw_race_word_skipped(const cw_race_var *v, uint64_t k)
{
    if (v->skip_period)
        return (v->skip >> (k % v->skip_period)) & 1;
    return k < 64 && ((v->skip >> k) & 1);
}

static inline uintptr_t cw_race_word_addr(const cw_race_var *v, uint64_t k)
{
    return (uintptr_t)(v->first_word + k * v->word_len);
}

#endif

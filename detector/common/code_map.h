/*
 * Code map: the executable segments of everything loaded in the process,
 * and whose code each one is.
 *
 * Runtime code asks it "whose code is this pc?": the program's own (the
 * executable and its libraries), the C runtime's (libc, the loader,
 * libpthread, the vDSO: the inside of synchronisation objects, never a data
 * race of the program) or the tool's (this shim, and the libraries it opened
 * privately: their frames are dropped from stacks).
 *
 * A scan (dl_iterate_phdr) builds a snapshot that is published atomically
 * and never freed, so lookups are lock-free and async-signal-safe (trap
 * handlers use them).  Libraries loaded after the last scan are unknown to
 * lookups until cw_code_map_scan() runs again; cw_code_map_find_or_rescan()
 * does that on a miss, outside signal handlers.
 */
#ifndef CW_CODE_MAP_H
#define CW_CODE_MAP_H

#include <stdbool.h>
#include <stdint.h>

typedef enum cw_code_owner {
    CW_CODE_PROGRAM = 0,
    CW_CODE_RUNTIME,     /* libc, loader, libpthread, librt, libdl, vDSO */
    CW_CODE_TOOL,        /* this shim, and the unwinder and DWARF libraries it uses */
} cw_code_owner;

typedef struct cw_code_range {
    uintptr_t lo, hi;    /* [lo, hi): one executable PT_LOAD segment */
    uintptr_t bias;      /* the object's load bias (dlpi_addr) */
    uint8_t owner;       /* cw_code_owner */
    bool executable;     /* the program's executable itself (the first object) */
} cw_code_range;

/* Rebuilds the map from what is loaded now.  Not async-signal-safe. */
void cw_code_map_scan(void);

/* The range holding pc in the last scan, or NULL (not scanned yet, generated
 * code, a library loaded since).  Async-signal-safe. */
const cw_code_range *cw_code_map_find(uintptr_t pc);

/* The same, rescanning once on a miss.  Not async-signal-safe. */
const cw_code_range *cw_code_map_find_or_rescan(uintptr_t pc);

/* Code that runs a system call on another instruction's behalf (the race
 * checks' system-call guard runs each call from a trampoline of its own that
 * jumps back to the caller): the pc a trampoline pc stands for, so that a
 * stack taken while a thread sleeps in such a call unwinds through the real
 * caller; 0 when pc is no trampoline.  Async-signal-safe. */
typedef uintptr_t (*cw_pc_alias_fn)(uintptr_t pc);
void cw_code_map_set_alias(cw_pc_alias_fn fn);
uintptr_t cw_code_map_alias(uintptr_t pc);

/* Load bias of the program's executable (0 for a non-PIE one). */
uintptr_t cw_code_map_executable_bias(void);

#endif

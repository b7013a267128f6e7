/*
 * Symbolizer: native frames (module path + ELF vaddr) -> function, file, line,
 * with elfutils' libdwfl.
 *
 * Every module is reported to one Dwfl at load bias 0, because the shim's
 * addresses are already relative to the module's ELF image; the same code
 * therefore serves PIE and non-PIE executables and shared libraries.  Debug
 * info is found by libdwfl's standard search (the file itself, .gnu_debuglink
 * next to it or in .debug/ or /usr/lib/debug, build-id files).  Without debug
 * info the ELF symbol table still gives the function name.
 *
 * Inlined calls: when the address lies in code inlined into another function,
 * the frame is expanded TSan-style into one frame per inlined call (innermost
 * first, each but the last marked is_inlined, all with the same vaddr), so
 * every frame's file:line belongs to its function.
 *
 * Modules are opened once and cached, including failures: a missing,
 * unreadable or non-ELF module leaves its frames unsymbolized, never crashes.
 * Python frames and frames without a module are left as they are.
 * Not thread-safe: one symbolizer per thread.
 */
#ifndef CW_SYMBOLIZER_H
#define CW_SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"

typedef struct cw_symbolizer cw_symbolizer;

cw_symbolizer *cw_symbolizer_new(void);
void cw_symbolizer_free(cw_symbolizer *sym);

/* Fills function/file/line of one native frame (the innermost inlined call
   if there are several); returns false if nothing at all was found. */
bool cw_symbolize_frame(cw_symbolizer *sym, cw_frame *frame);

/* Symbolizes an array of frames in place, expanding inlined calls: *frames
   may be reallocated and *n grow.  The array must come from cw_array_push
   (as the reader's arrays do) or be NULL. */
void cw_symbolize_frames(cw_symbolizer *sym, cw_frame **frames, size_t *n);

/* Symbolizes every stack and lock-creation stack of every finding. */
void cw_symbolize_findings(cw_symbolizer *sym, cw_finding_list *list);

/* The data object at ELF virtual address vaddr of module: "name" or
   "name+offset" (malloc'd), NULL when no object symbol covers it. */
char *cw_symbolize_data(cw_symbolizer *sym, const char *module, uint64_t vaddr);

/* The module opened for the other DWARF lookups of this layer (data_names.h):
   its libdwfl handle and bias (Dwfl address = ELF vaddr + *bias); NULL when
   it cannot be opened.  Owned by the symbolizer. */
struct Dwfl_Module;
struct Dwfl_Module *cw_symbolizer_module(cw_symbolizer *sym, const char *module, uint64_t *bias);

#endif

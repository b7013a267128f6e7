/*
 * Stack capture with libunwind, from inside an interceptor.
 *
 * Captures the caller's stack, starting at the frame that called the
 * intercepted function (frames of the shim itself are dropped), and interns
 * it in the stack depot.  Costs a few microseconds: callers keep it off the
 * hot path (once per new call site per thread, once per new edge).
 */
#ifndef CW_STACK_CAPTURE_H
#define CW_STACK_CAPTURE_H

#include <stdint.h>

#include "stack_depot.h"

/* Loads libunwind (privately); until then, or without it, glibc's unwinder is used. */
void cw_stack_capture_init(void);

/* `caller_pc` is __builtin_return_address(0) of the interceptor: frames
 * innermost of it belong to the shim and are skipped.  0 keeps every frame
 * past this function. */
cw_stack_id cw_capture_stack(uintptr_t caller_pc);

/* The start of the function holding pc, from the unwind tables (libgcc's
 * _Unwind_Find_FDE: every x86-64 function compiled with unwind info has an
 * FDE); 0 when unknown.  Async-signal-safe with glibc 2.35+ (its
 * _dl_find_object) unless the program registers frames itself (JITs). */
uintptr_t cw_function_start(uintptr_t pc);

/* Raw capture into pcs[max] with the same skipping rule; returns the count. */
int cw_capture_pcs(uintptr_t caller_pc, uintptr_t *pcs, int max);

/* For a lock taken earlier by a function that is still running (`now` is a
 * stack captured later in the same thread, inside that invocation): the
 * frames of `earlier` down to that function, under the callers it has in
 * `now`.  `earlier` is a cached call-site stack whose callers may be another
 * path's.  The function is the innermost frame of `earlier` that `now` shows
 * at a different call site; `earlier` unchanged when there is none. */
cw_stack_id cw_stack_reroot(cw_stack_id earlier, cw_stack_id now);

#endif

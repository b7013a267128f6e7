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
const char *cw_stack_capture_backend(void);
/* Load address of the unwinder library the shim opened, NULL if none: its
 * frames are the tool's (a signal can land in the middle of a capture). */
const void *cw_stack_capture_library_base(void);

/* `caller_pc` is __builtin_return_address(0) of the interceptor: frames
 * innermost of it belong to the shim and are skipped.  0 keeps every frame
 * past this function. */
cw_stack_id cw_capture_stack(uintptr_t caller_pc);

/* Raw capture into pcs[max] with the same skipping rule; returns the count. */
int cw_capture_pcs(uintptr_t caller_pc, uintptr_t *pcs, int max);

/* `earlier`'s first frame, under the callers that frame's function has in
 * `now` (a stack captured later in the same thread, in the same invocation
 * of that function, or one it called): for a lock taken earlier in a
 * function that is still running, whose cached site stack may carry another
 * path's callers.  `earlier` unchanged when its function is not in `now`. */
cw_stack_id cw_stack_reroot(cw_stack_id earlier, cw_stack_id now);

#endif

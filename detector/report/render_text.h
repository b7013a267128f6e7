/*
 * The human-readable report, in the shape ThreadSanitizer users know:
 *
 *   ==================
 *   WARNING: concwatch: lock-order-inversion (potential deadlock) (pid=1234)
 *     cycle M1 -> M2 -> M1 between threads T1 and T2      <- the message
 *     note: ...                                           <- note records
 *
 *     Thread T1 acquires M2 while holding M1:             <- stack title, see below
 *       #0 transfer samples/abba.c:21 (abba+0x1234)
 *       #1 worker app.py:12 (python)
 *       #2 <unknown> (libfoo.so+0x1a2b)
 *
 *     Mutex M1 created at:                                <- "<Type> <id> <how> at:"
 *       #0 main samples/abba.c:40 (abba+0x11a9)
 *
 * Stack titles come from the recorded role.  A verb phrase ("acquires M2
 * while holding M1") gets the thread as its subject: "Thread T1 acquires M2
 * while holding M1:".  A role with its own subject, i.e. starting with a lock
 * id or a lock type word ("mutex M2 acquired here while holding mutex M1 in
 * thread T1", "M1 previously acquired here"), prints as recorded, capitalized,
 * with " (thread T1)" added unless it names the thread itself.
 * Locks with no recorded stack are not printed (JSON still has them).
 *   SUMMARY: concwatch: lock-order-inversion samples/abba.c:21 in transfer
 *   ==================
 *
 * Files are shown relative to base_dir when under it (NULL: as recorded).
 * Frame offsets are the recorded ELF vaddrs.  No colours.
 */
#ifndef CW_RENDER_TEXT_H
#define CW_RENDER_TEXT_H

#include <stdio.h>

#include "finding.h"

void cw_render_text_finding(FILE *out, const cw_finding *f, const char *base_dir);
void cw_render_text(FILE *out, const cw_finding_list *list, const char *base_dir);

/*
 * The frame the SUMMARY line names: the first frame, over the stacks in order
 * and then the lock-creation stacks, that is the user's code: it has a file
 * and a line and is not in the C runtime, loader, interpreter or shim
 * (cw_is_runtime_module; Python frames always count as user code).  Failing
 * that, the first frame with a function name; NULL if there is none.
 */
const cw_frame *cw_summary_frame(const cw_finding *f);

#endif

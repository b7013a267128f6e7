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
 * Locks named by lock_names.h get a line each under the message, "M1 is
 * `alice.lock` (static, abba.c:28)", and their name in their own title
 * ("Mutex M1 `alice.lock` first used at:").  A merged report (merge.h) says
 * under the message how many runs and processes a finding came from.
 *
 * Files are shown relative to base_dir when under it (NULL: as recorded).
 * Frame offsets are the recorded ELF vaddrs.  With color, ANSI colours mark
 * the headline, the stack titles, file:line, the lock names and the summary
 * (the caller decides: a terminal, and no NO_COLOR); without, plain text.
 */
#ifndef CW_RENDER_TEXT_H
#define CW_RENDER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "finding.h"

void cw_render_text_finding(FILE *out, const cw_finding *f, const char *base_dir, bool color);
/* The report's header line: how data races were looked for
 * ("concwatch: data races: software watchpoints (...)"); nothing when the
 * program never said. */
void cw_render_text_header(FILE *out, const cw_finding_list *list);
void cw_render_text(FILE *out, const cw_finding_list *list, const char *base_dir, bool color);

/*
 * The frame the SUMMARY line names: the first frame, over the stacks in order
 * and then the lock-creation stacks, that is the user's code: it has a file
 * and a line and is not in the C runtime, loader, interpreter or shim
 * (cw_is_runtime_module; Python frames always count as user code).  Failing
 * that, the first frame with a function name; NULL if there is none.
 */
const cw_frame *cw_summary_frame(const cw_finding *f);

/* The rule above for one frame, and the first such frame of one stack (NULL
   if none): a stack's own summary, e.g. for naming and fingerprints. */
bool cw_is_user_frame(const cw_frame *fr);
const cw_frame *cw_first_user_frame(const cw_frame *frames, size_t n);

#endif

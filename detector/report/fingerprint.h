/*
 * A finding's identity across runs and machines, for dashboards that track a
 * finding over time (SARIF's partialFingerprints): the same bug found again
 * tomorrow, in another process, on another machine or after unrelated edits
 * gets the same fingerprint.
 *
 * Derived only from what stays put: the kind, and for every stack its key
 * frame, the first frame of the program's own code (cw_first_user_frame;
 * failing that the first frame with a function name), as "function in the
 * file's base name".  Never from addresses, pids, thread numbers, lock ids,
 * line numbers (an edit above the bug moves them) or directories (checkouts
 * differ).  The key frames are sorted and repeats dropped, so the order the
 * stacks come in (which thread was seen first) does not matter.  A finding
 * without any symbolized frame falls back to its kind and message with every
 * digit removed.
 *
 * Two findings of one kind whose stacks meet the program's code in the same
 * functions share a fingerprint: that is the point (one bug, one identity).
 */
#ifndef CW_FINGERPRINT_H
#define CW_FINGERPRINT_H

#include "finding.h"

#define CW_FINGERPRINT_LEN 32     /* hex digits */

/* Writes CW_FINGERPRINT_LEN hex digits and a NUL into out. */
void cw_finding_fingerprint(const cw_finding *f, char out[CW_FINGERPRINT_LEN + 1]);

#endif

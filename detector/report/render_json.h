/*
 * The JSON report (its shape is documented in README.md, "JSON report"):
 *
 *   { "tool": "concwatch", "version": "0.1.0", "command": ["./prog", "arg"],
 *     "exit_status": 0,             the program's own status (128+N: signal N)
 *     "suppressed": 0,              findings dropped by --suppressions
 *     "findings": [
 *       { "kind": "...", "message": "...", "pid": 1234,
 *         "notes": ["..."],
 *         "locks":  [ { "id": "M1", "type": "mutex", "how": "created",
 *                       "name": "alice.lock",      as the code names it, or null
 *                       "description": "`alice.lock` (static, abba.c:28)",
 *                                                  the phrase the text report shows
 *                                                  (lock_names.h), or null
 *                       "created": [frames] } ],
 *         "stacks": [ { "thread": "T1", "role": "...", "frames": [frames] } ] } ] }
 *
 *   frame: { "function": "deposit", "file": "samples/bank.c", "line": 12,
 *            "module": "/abs/path/prog", "offset": "0x1234" }
 *          plus "inlined": true for a call inlined into the next frame, and
 *          "python": true for a Python frame (module and offset null).
 *
 * A merged report (merge.h) has "command": null, "exit_status": null,
 * "merged": [the report files], and in each finding "runs" and "processes":
 * how many of those reports and processes it came from.
 *
 * Unknown values are null (a missing line is null, not 0).  "created" holds
 * the lock's first-use stack when "how" says so.  Files are relative to
 * base_dir when under it, as in the text report; modules stay absolute.
 */
#ifndef CW_RENDER_JSON_H
#define CW_RENDER_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "finding.h"

typedef struct cw_run_info {
    const char *version;          /* concwatch's version */
    char *const *command;         /* the program and its arguments */
    int ncommand;
    int exit_status;              /* the program's status, 128+N if signal N */
    size_t suppressed;            /* findings removed by suppressions */
    size_t internal_errors;       /* processes where concwatch crashed, deadlocked or turned itself off */
    const char *base_dir;         /* the source root: files under it are shown
                                     relative to it; NULL: as recorded */
    const char *cwd;              /* the program's starting directory, for files
                                     recorded relative to it (Python's); NULL: base_dir */
    char *const *merged;          /* a merged report: the reports it folds */
    int nmerged;                  /* 0: one run's report */
} cw_run_info;

void cw_render_json(FILE *out, const cw_finding_list *list, const cw_run_info *run);

#endif

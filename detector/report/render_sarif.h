/*
 * The SARIF 2.1.0 report, for code-scanning dashboards (GitHub code scanning,
 * GitLab, Azure DevOps, SARIF viewers).  One run, whose tool.driver lists a
 * rule per kind (self-deadlock, lock-order-inversion, deadlock, data-race,
 * misuse; any other kind a newer shim reports gets a rule of its own), each
 * with a short and full description and help on what to do.
 *
 * One result per finding:
 *   ruleId / ruleIndex    its kind; level "error" (concwatch fails the run on it)
 *   message.text          the finding's message, then its locks by name:
 *                         "cycle M1 -> M2 -> M1 ... (M1 is `alice.lock` ...; M2 ...)"
 *   locations             the summary frame (the first frame of the program's
 *                         own code, as the text report's SUMMARY line)
 *   stacks                every stack, innermost frame first (SARIF's call stacks)
 *   codeFlows             every stack again as a code flow of one thread flow,
 *                         outermost call first (what dashboards draw as paths)
 *   relatedLocations      where each lock was created or first used
 *   partialFingerprints   "concwatchFinding/v1": fingerprint.h (stable across runs)
 *   properties            pid, notes, lock ids/names, and for a merged report
 *                         the runs and processes it came from
 *
 * Files that lie under the source root (run->base_dir) are given relative to it
 * with uriBaseId "SRCROOT" (run.originalUriBaseIds maps it to the root's
 * file:// URI), so dashboards can match them to the repository; files outside
 * it get absolute file:// URIs.  Files recorded relative (Python's) are taken
 * from run->cwd.  Frames without a file are located by function (a logical
 * location) and their module and offset in the location's message.
 */
#ifndef CW_RENDER_SARIF_H
#define CW_RENDER_SARIF_H

#include <stdio.h>

#include "finding.h"
#include "render_json.h"

void cw_render_sarif(FILE *out, const cw_finding_list *list, const cw_run_info *run);

#endif

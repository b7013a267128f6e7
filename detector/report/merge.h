/*
 * Many runs, one report: folding the findings of several reports (the JSON
 * of many concwatch runs: a CTest suite run with -j, a CI matrix, several
 * machines) into one list of distinct findings, each with how many reports
 * ("runs") and processes it came from.
 *
 * Two findings are the same by dedupe.h's rule (kind, message, locks and
 * stacks; symbolized frames by function, file base name and line, so builds
 * in different directories agree; pids ignored).  The first occurrence is
 * kept, in the order the reports are given.  A finding read from a report
 * that was itself a merge brings its own counts along; the reports are
 * assumed not to overlap.
 */
#ifndef CW_MERGE_H
#define CW_MERGE_H

#include <stddef.h>

#include "finding.h"

/* Moves every finding of reports[0..n) into *out (which must be empty),
   folding repeats; the reports are left empty.  Sets runs and processes of
   every finding in *out. */
void cw_merge_reports(cw_finding_list *reports, size_t n, cw_finding_list *out);

#endif

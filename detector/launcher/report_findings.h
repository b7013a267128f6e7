/*
 * After the run: everything between the shim's findings files and what the
 * user sees.  Reads every process's findings from the report directory, drops
 * repeats (dedupe.h), symbolizes, names the locks (lock_names.h), drops
 * suppressed findings, prints the text report and writes the JSON and SARIF
 * reports asked for (report_outputs.h).
 */
#ifndef CW_REPORT_FINDINGS_H
#define CW_REPORT_FINDINGS_H

#include <stdbool.h>
#include <stdio.h>

#include "report/render_json.h"
#include "report/suppressions.h"
#include "report_outputs.h"

typedef struct cw_report_request {
    const char *report_dir;
    const cw_suppressions *suppressions;   /* NULL: none */
    cw_report_outputs *outputs;            /* the JSON / SARIF reports are closed after */
    bool quiet;                            /* no "concwatch: N findings" banner */
    cw_run_info run;                       /* command, exit status, ... for JSON */
} cw_report_request;

/* Returns the number of findings reported (suppressed ones not counted). */
long cw_report_findings(const cw_report_request *req);

/* The banner: "concwatch: reported N findings (M suppressed)" on stderr, if
   there is anything to say. */
void cw_print_banner(const char *what, size_t reported, size_t suppressed);

#endif

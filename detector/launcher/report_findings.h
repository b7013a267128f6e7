/*
 * After the run: everything between the shim's findings files and what the
 * user sees.  Reads every process's findings from the report directory, drops
 * repeats (dedupe.h), symbolizes, drops suppressed findings, prints the text
 * report to stderr and writes the JSON report if asked.
 */
#ifndef CW_REPORT_FINDINGS_H
#define CW_REPORT_FINDINGS_H

#include <stdbool.h>
#include <stdio.h>

#include "report/render_json.h"
#include "report/suppressions.h"

typedef struct cw_report_request {
    const char *report_dir;
    const cw_suppressions *suppressions;   /* NULL: none */
    FILE *json;                            /* NULL: no JSON report */
    const char *json_name;                 /* for error messages */
    bool quiet;                            /* no "concwatch: N findings" banner */
    cw_run_info run;                       /* command, exit status, ... for JSON */
} cw_report_request;

/* Returns the number of findings reported (suppressed ones not counted).
   Closes req->json unless it is stdout. */
long cw_report_findings(const cw_report_request *req);

#endif

/*
 * Where the reports go, decided before the program runs (an unwritable path
 * must stop concwatch before anything runs): --json FILE and --sarif FILE,
 * '-' meaning standard output; the text report's stream and its colour.
 *
 * Standard output and the program: a report asked on '-' must never mix with
 * what the program itself prints, so the launcher keeps its standard output
 * for the report (a duplicate descriptor, close-on-exec: the program never
 * inherits it) and puts its standard error in its place (dup2), which the
 * program inherits as its standard output.  The report is written there
 * after the program has ended.  Background processes the program leaves
 * behind hold standard error, not the report's stream, so they cannot slip
 * into it either.
 *
 * Colour (--color auto): on when the text report's stream is a terminal,
 * NO_COLOR is unset or empty (https://no-color.org) and TERM is not "dumb".
 */
#ifndef CW_REPORT_OUTPUTS_H
#define CW_REPORT_OUTPUTS_H

#include <stdbool.h>
#include <stdio.h>

#include "options.h"
#include "report/finding.h"
#include "report/render_json.h"

typedef struct cw_report_outputs {
    FILE *json;                  /* NULL: no JSON report */
    const char *json_name;
    FILE *sarif;                 /* NULL: no SARIF report */
    const char *sarif_name;
    FILE *text;                  /* the text report: stderr, or stdout for merge */
    bool color;
} cw_report_outputs;

/* Opens what opts asks for.  text_on_stdout: the text report goes to
   standard output unless a report takes it (merge); else to standard error,
   and a report on '-' moves the program's standard output to standard error
   as described above.  Prints one line and returns false on failure. */
bool cw_report_outputs_open(cw_report_outputs *o, const cw_options *opts, bool text_on_stdout);

/* Writes the JSON and SARIF reports asked for and closes them (NULL after);
   prints a line for a report that could not be written. */
void cw_report_outputs_write(cw_report_outputs *o, const cw_finding_list *list, const cw_run_info *run);

/* The source root (--source-root DIR, default the current directory) as an
   absolute canonical path, malloc'd; NULL with one line printed when DIR is
   not a directory. */
char *cw_source_root(const char *dir);

/* Closes what is still open (after an early error). */
void cw_report_outputs_close(cw_report_outputs *o);

#endif

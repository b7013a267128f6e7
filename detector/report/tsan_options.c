/* TSAN_OPTIONS for the watched program; see tsan_options.h. */
#define _GNU_SOURCE
#include "tsan_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsan_reports.h"

static const char FIXED_OPTIONS[] =
    "exitcode=0 halt_on_error=0 detect_deadlocks=0 report_mutex_bugs=0 report_destroy_locked=0";

char *cw_tsan_options(const char *existing, const char *report_dir)
{
    /* A value in quotes may hold spaces, ':' and ','; it ends at its quote. */
    char quote = !strchr(report_dir, '\'') ? '\'' : !strchr(report_dir, '"') ? '"' : 0;
    if (!quote)
        return NULL;
    char *s = NULL;
    int n = asprintf(&s, "%s%slog_path=%c%s/%s%c stack_trace_format='%s' %s",
                     existing ? existing : "", existing && existing[0] ? " " : "",
                     quote, report_dir, CW_TSAN_LOG_PREFIX, quote, CW_TSAN_FRAME_FORMAT, FIXED_OPTIONS);
    return n < 0 ? NULL : s;
}

void cw_tsan_options_setenv(const char *report_dir)
{
    char *options = cw_tsan_options(getenv(CW_TSAN_OPTIONS_ENV), report_dir);
    if (!options) {
        fprintf(stderr, "concwatch: cannot pass the report directory %s to ThreadSanitizer; "
                        "its reports (if any) stay its own\n", report_dir);
        return;
    }
    setenv(CW_TSAN_OPTIONS_ENV, options, 1);
    free(options);
}

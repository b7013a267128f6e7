/* A JSON report given back to `concwatch merge` (the user's files: any
 * bytes): read (json_reader.c), merged with itself (merge.c), and rendered
 * again as text and JSON. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "report/json_reader.h"
#include "report/merge.h"
#include "report/render_json.h"
#include "report/render_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/cw_fuzz_report.%d.json", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    cw_finding_list reports[2] = { { 0 }, { 0 } };
    size_t suppressed = 0;
    char err[512];
    if (!cw_read_json_report(path, &reports[0], &suppressed, err, sizeof err))
        return 0;
    if (!cw_read_json_report(path, &reports[1], &suppressed, err, sizeof err)) {
        cw_finding_list_free(&reports[0]);
        return 0;
    }
    cw_finding_list merged = { 0 };
    cw_merge_reports(reports, 2, &merged);
    cw_render_text(cw_fuzz_sink(), &merged, NULL, false);
    char *argv[] = { "merge", NULL };
    cw_run_info run = { .version = "fuzz", .command = argv, .ncommand = 1 };
    cw_render_json(cw_fuzz_sink(), &merged, &run);
    cw_finding_list_free(&merged);
    cw_finding_list_free(&reports[0]);
    cw_finding_list_free(&reports[1]);
    return 0;
}

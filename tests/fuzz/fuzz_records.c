/* The shim's record files (detector/common/record_format.h: findings.<pid>
 * and status.<pid>): a program that
 * scribbles on memory can corrupt them, a killed one leaves them cut short.
 * Whatever the bytes, reading them and doing everything the launcher does
 * next (dedupe, suppressions, text and JSON) must not crash or leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "report/dedupe.h"
#include "report/finding_reader.h"
#include "report/process_status.h"
#include "report/render_json.h"
#include "report/render_text.h"
#include "report/suppressions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cw_suppressions *sup;
    if (!sup) {
        static const char text[] = "deadlock:main\nrace:*.c\nmutex:lib*\nmisuse:^worker$\n";
        char err[256];
        sup = cw_suppressions_parse(text, sizeof text - 1, err, sizeof err);
    }
    cw_finding_list list = { 0 };
    cw_parse_records((const char *)data, size, 1234, &list);
    cw_finding_list_dedupe(&list);
    FILE *out = cw_fuzz_sink();
    cw_render_text(out, &list, "/tmp", true);
    char *argv[] = { "./prog", "arg", NULL };
    cw_run_info run = { .version = "fuzz", .command = argv, .ncommand = 2, .base_dir = "/tmp" };
    cw_render_json(out, &list, &run);
    cw_suppressions_apply(sup, &list);
    cw_render_text(out, &list, NULL, false);
    cw_finding_list_free(&list);
    /* The same bytes as a status file (status.<pid>: process, off, crash, unwatched). */
    cw_process_list procs = { 0 };
    cw_parse_status((const char *)data, size, 77, &procs);
    cw_process_list_free(&procs);
    return 0;
}

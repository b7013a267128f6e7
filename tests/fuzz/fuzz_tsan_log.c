/* ThreadSanitizer's report logs (the program's own runtime writes them, and a
 * crash can cut them anywhere): parsing them into findings must not crash or
 * leak, whatever is in them. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "report/dedupe.h"
#include "report/render_text.h"
#include "report/tsan_reports.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_finding_list list = { 0 };
    cw_parse_tsan_log((const char *)data, size, 99, NULL, &list, cw_fuzz_sink());
    cw_finding_list_dedupe(&list);
    cw_render_text(cw_fuzz_sink(), &list, NULL, false);
    cw_finding_list_free(&list);
    return 0;
}

/* Suppression files (the user's): parsed, and when valid matched against a
 * few findings, whatever the patterns. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/finding.h"
#include "report/suppressions.h"

static cw_frame frames[] = {
    { .module = "/usr/lib/libfoo.so", .function = "worker_loop", .file = "src/worker.c", .line = 12 },
    { .module = "/bin/prog", .function = "main", .file = "/home/u/prog/main.c", .line = 40 },
    { .is_python = true, .function = "<module>", .file = "app.py", .line = 3 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    cw_suppressions *sup = cw_suppressions_parse((const char *)data, size, err, sizeof err);
    if (!sup)
        return 0;
    cw_suppressions_count(sup);
    static const char *kinds[] = { "deadlock", "lock-order-inversion", "data-race", "misuse", "self-deadlock" };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        cw_stack stack = { .thread = "T1", .role = "role", .frames = frames, .nframes = 3 };
        cw_lock lock = { .id = "M1", .type = "mutex", .how = "created", .frames = frames, .nframes = 2 };
        cw_finding f = { .kind = (char *)kinds[k], .message = "m", .stacks = &stack, .nstacks = 1,
                         .locks = &lock, .nlocks = 1 };
        cw_suppressions_match(sup, &f);
    }
    /* Patterns are also matched on their own, as text. */
    char *text = strndup((const char *)data, size);
    if (text) {
        cw_pattern_match(text, "src/worker.c");
        cw_pattern_match("*worker*", text);
        free(text);
    }
    cw_suppressions_free(sup);
    return 0;
}

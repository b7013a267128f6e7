/* The command line: arguments of any bytes (split on NUL), parsed and
 * validated as concwatch's main() does. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "concwatch";
    for (size_t i = 0; i <= size && argc < MAX_ARGS;) {
        argv[argc++] = copy + i;
        i += strlen(copy + i) + 1;
    }
    argv[argc] = NULL;
    cw_options opts;
    if (cw_options_parse(&opts, argc, argv))
        cw_options_validate(&opts);
    free(copy);
    return 0;
}

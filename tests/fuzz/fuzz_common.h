/* What the fuzz targets share: a sink for rendered output, and a finding to
 * match suppressions against. */
#ifndef CW_FUZZ_COMMON_H
#define CW_FUZZ_COMMON_H

#include <stdio.h>

/* Rendered text goes nowhere, but is still formatted in full. */
static inline FILE *cw_fuzz_sink(void)
{
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    return sink;
}

#endif

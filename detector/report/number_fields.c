/* See number_fields.h. */
#include "number_fields.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool cw_parse_hex_field(const char *s, size_t n, uint64_t *out)
{
    char buf[32];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 16);   /* accepts a 0x prefix */
    if (errno || *end != '\0' || buf[0] == '-')
        return false;
    *out = v;
    return true;
}

int cw_parse_line_field(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > 100000000)
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

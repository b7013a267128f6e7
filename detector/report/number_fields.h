/*
 * Numbers in the fields of the record and log formats the launcher reads
 * (finding_reader.c, tsan_report_parse.c): not NUL-terminated, never trusted.
 */
#ifndef CW_NUMBER_FIELDS_H
#define CW_NUMBER_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A hexadecimal number (a 0x prefix allowed) filling s[0..n). */
bool cw_parse_hex_field(const char *s, size_t n, uint64_t *out);

/* A decimal line number filling s[0..n); 0 when it is not one. */
int cw_parse_line_field(const char *s, size_t n);

#endif

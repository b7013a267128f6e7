/*
 * A minimal streaming JSON emitter (pretty-printed, 2-space indent).
 *
 * The caller states the structure (begin/end object/array, key, values) and
 * the writer places commas, newlines and indentation.  Strings are escaped
 * per RFC 8259: quote, backslash and control characters are escaped, and
 * bytes that are not valid UTF-8 become U+FFFD, so the output is always valid
 * JSON whatever bytes a program's paths or messages contain.
 * It does not check that the caller's structure is well formed (keys only in
 * objects, balanced ends): the renderers are small enough to get that right.
 */
#ifndef CW_JSON_WRITER_H
#define CW_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CW_JSON_MAX_DEPTH 32

typedef struct cw_json {
    FILE *out;
    int depth;
    bool has_items[CW_JSON_MAX_DEPTH];  /* per open container: needs a comma */
    bool after_key;                     /* next value follows "key": */
} cw_json;

void cw_json_init(cw_json *w, FILE *out);
void cw_json_begin_object(cw_json *w);
void cw_json_end_object(cw_json *w);
void cw_json_begin_array(cw_json *w);
void cw_json_end_array(cw_json *w);
void cw_json_key(cw_json *w, const char *key);
void cw_json_string(cw_json *w, const char *s);   /* NULL -> null */
void cw_json_int(cw_json *w, long long v);
void cw_json_bool(cw_json *w, bool v);
void cw_json_null(cw_json *w);
/* Ends the document with a newline. */
void cw_json_finish(cw_json *w);

/* Writes s as a quoted, escaped JSON string (exposed for tests). */
void cw_json_write_escaped(FILE *out, const char *s);

#endif

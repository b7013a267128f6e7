/* Streaming JSON output; see json_writer.h. */
#include "json_writer.h"

#include <string.h>

void cw_json_init(cw_json *w, FILE *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
}

static void newline_indent(cw_json *w)
{
    fputc('\n', w->out);
    for (int i = 0; i < w->depth; i++)
        fputs("  ", w->out);
}

/* Separator before a value or key at the current level. */
static void before_item(cw_json *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    if (w->has_items[w->depth - 1])
        fputc(',', w->out);
    w->has_items[w->depth - 1] = true;
    newline_indent(w);
}

static void begin(cw_json *w, char open)
{
    before_item(w);
    fputc(open, w->out);
    if (w->depth < CW_JSON_MAX_DEPTH)
        w->has_items[w->depth] = false;
    w->depth++;
}

static void end(cw_json *w, char close)
{
    w->depth--;
    bool had_items = w->depth < CW_JSON_MAX_DEPTH && w->has_items[w->depth];
    if (had_items)
        newline_indent(w);
    fputc(close, w->out);
}

void cw_json_begin_object(cw_json *w) { begin(w, '{'); }
void cw_json_end_object(cw_json *w) { end(w, '}'); }
void cw_json_begin_array(cw_json *w) { begin(w, '['); }
void cw_json_end_array(cw_json *w) { end(w, ']'); }

void cw_json_key(cw_json *w, const char *key)
{
    before_item(w);
    cw_json_write_escaped(w->out, key);
    fputs(": ", w->out);
    w->after_key = true;
}

void cw_json_string(cw_json *w, const char *s)
{
    before_item(w);
    if (s)
        cw_json_write_escaped(w->out, s);
    else
        fputs("null", w->out);
}

void cw_json_int(cw_json *w, long long v)
{
    before_item(w);
    fprintf(w->out, "%lld", v);
}

void cw_json_bool(cw_json *w, bool v)
{
    before_item(w);
    fputs(v ? "true" : "false", w->out);
}

void cw_json_null(cw_json *w)
{
    before_item(w);
    fputs("null", w->out);
}

void cw_json_finish(cw_json *w)
{
    fputc('\n', w->out);
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one:
   overlong forms, surrogates and code points above U+10FFFF are invalid. */
static int utf8_sequence_length(const unsigned char *s)
{
    unsigned char c = s[0];
    int len;
    uint32_t min, cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) { len = 2; min = 0x80; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; min = 0x800; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; min = 0x10000; cp = c & 0x07; }
    else
        return 0;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)   /* also stops at the terminating NUL */
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static void write_escaped_char(FILE *out, unsigned char c)
{
    switch (c) {
    case '"':  fputs("\\\"", out); break;
    case '\\': fputs("\\\\", out); break;
    case '\n': fputs("\\n", out); break;
    case '\r': fputs("\\r", out); break;
    case '\t': fputs("\\t", out); break;
    case '\b': fputs("\\b", out); break;
    case '\f': fputs("\\f", out); break;
    default:
        if (c < 0x20 || c == 0x7F)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
}

void cw_json_write_escaped(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    while (*p) {
        int len = utf8_sequence_length(p);
        if (len == 0) {
            fputs("\\ufffd", out);   /* one replacement per invalid byte */
            p++;
        } else if (len == 1) {
            write_escaped_char(out, *p++);
        } else {
            fwrite(p, 1, (size_t)len, out);
            p += len;
        }
    }
    fputc('"', out);
}

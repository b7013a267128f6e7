/* One ThreadSanitizer report's text -> its sections and frames.  The rules
   are in tsan_report_parse.h. */
#define _GNU_SOURCE
#include "tsan_report_parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "number_fields.h"
#include "xalloc.h"

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* TSan prints "<null>" for what it does not know. */
static char *known_dup(const char *s, size_t n)
{
    if (n == 0 || (n == 6 && memcmp(s, "<null>", 6) == 0))
        return NULL;
    return cw_xstrndup(s, n);
}


/* ---- frames ---- */

/* CW_TSAN_FRAME_FORMAT after "#N\t": pc, module, offset, function, file,
   line (without the pc, as the format was before, still understood). */
static bool parse_tab_frame(const char *p, cw_frame *fr, uint64_t *pc)
{
    const char *field[6];
    size_t len[6];
    int n = 0;
    while (n < 6) {
        const char *tab = n < 5 ? strchr(p, '\t') : NULL;
        field[n] = p;
        len[n] = tab ? (size_t)(tab - p) : strlen(p);
        n++;
        if (!tab)
            break;
        p = tab + 1;
    }
    if (n < 5)
        return false;
    int k = n - 5;                     /* 1 if the pc is there */
    if (k == 1 && !cw_parse_hex_field(field[0], len[0], pc))
        *pc = 0;
    fr->module = known_dup(field[k], len[k]);
    if (!cw_parse_hex_field(field[k + 1], len[k + 1], &fr->vaddr))
        fr->vaddr = 0;
    fr->function = known_dup(field[k + 2], len[k + 2]);
    fr->file = known_dup(field[k + 3], len[k + 3]);
    fr->line = cw_parse_line_field(field[k + 4], len[k + 4]);
    return true;
}

/* "file:line[:column]" or "file" -> file, line. */
static void split_source(const char *s, size_t n, cw_frame *fr)
{
    int numbers[2] = { 0, 0 };
    int found = 0;
    while (found < 2) {
        const char *colon = memrchr(s, ':', n);
        if (!colon || colon + 1 == s + n)
            break;
        size_t digits = (size_t)(s + n - colon - 1);
        if (strspn(colon + 1, "0123456789") < digits)
            break;
        numbers[found++] = cw_parse_line_field(colon + 1, digits);
        n = (size_t)(colon - s);
    }
    fr->file = known_dup(s, n);
    fr->line = found == 2 ? numbers[1] : numbers[0];   /* line:column, or line */
}

/* TSan's default frame after "#N ": "func file:line:col (module+0xoff)";
   the module is a base name here. */
static bool parse_default_frame(const char *p, cw_frame *fr)
{
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == ' ')
        n--;
    if (n > 0 && p[n - 1] == ')') {
        const char *open = NULL;
        for (const char *q = p; q + 1 < p + n; q++)
            if (q[0] == ' ' && q[1] == '(')
                open = q;
        if (open) {
            const char *inner = open + 2;
            size_t inner_len = (size_t)(p + n - 1 - inner);
            const char *plus = memrchr(inner, '+', inner_len);
            if (plus && cw_parse_hex_field(plus + 1, (size_t)(inner + inner_len - plus - 1), &fr->vaddr))
                fr->module = known_dup(inner, (size_t)(plus - inner));
            n = (size_t)(open - p);
        }
    }
    const char *space = memrchr(p, ' ', n);
    if (space) {
        fr->function = known_dup(p, (size_t)(space - p));
        split_source(space + 1, (size_t)(p + n - space - 1), fr);
    } else {
        fr->function = known_dup(p, n);
    }
    return fr->module || fr->function || fr->file;
}

/* A frame line ("    #N..."), in our format or TSan's default one; *pc is
   the frame's absolute address when the line gives it, else 0. */
bool cw_tsan_parse_frame(const char *line, cw_frame *fr, uint64_t *pc)
{
    memset(fr, 0, sizeof *fr);
    *pc = 0;
    const char *p = line + strspn(line, " ");
    if (*p++ != '#' || *p < '0' || *p > '9')
        return false;
    p += strspn(p, "0123456789");
    bool ok = false;
    if (*p == '\t')
        ok = parse_tab_frame(p + 1, fr, pc);
    else if (*p == ' ')
        ok = parse_default_frame(p + 1, fr);
    if (ok && (fr->module || fr->function || fr->file))
        return true;
    cw_frame_clear(fr);
    return false;
}


/* ---- one report, split into sections ---- */

void cw_tsan_report_clear(cw_tsan_report *r)
{
    free(r->description);
    for (size_t i = 0; i < r->nsections; i++) {
        free(r->sections[i].header);
        for (size_t k = 0; k < r->sections[i].nframes; k++)
            cw_frame_clear(&r->sections[i].frames[k]);
        free(r->sections[i].frames);
    }
    free(r->sections);
    for (size_t i = 0; i < r->nmodules; i++)
        free(r->modules[i].path);
    free(r->modules);
    memset(r, 0, sizeof *r);
}

static bool is_access_header(const char *h)
{
    if (starts_with(h, "Previous "))
        h += strlen("Previous ");
    if (strncasecmp(h, "atomic ", 7) == 0)
        h += 7;
    return strncasecmp(h, "read of size ", 13) == 0 || strncasecmp(h, "write of size ", 14) == 0 ||
           starts_with(h, "Modifying access of ") || starts_with(h, "Read-only access of ");
}

static cw_tsan_section_kind classify(const char *h)
{
    if (is_access_header(h))
        return CW_TSAN_SEC_ACCESS;
    if (starts_with(h, "As if synchronized via sleep"))
        return CW_TSAN_SEC_SLEEP;
    if (starts_with(h, "Location is "))
        return CW_TSAN_SEC_LOCATION;
    if (starts_with(h, "Mutex M"))
        return CW_TSAN_SEC_MUTEX;
    if (starts_with(h, "Thread T"))
        return CW_TSAN_SEC_THREAD;
    return CW_TSAN_SEC_OTHER;
}

static cw_tsan_section *add_section(cw_tsan_report *r, cw_tsan_section_kind kind, const char *header)
{
    cw_tsan_section *s = cw_array_push(&r->sections, &r->nsections, sizeof *s);
    s->kind = kind;
    if (header) {
        size_t n = strlen(header);
        while (n > 0 && (header[n - 1] == ' ' || header[n - 1] == ':'))
            n--;
        s->header = cw_xstrndup(header, n);
    }
    return s;
}

static void note_module_base(cw_tsan_report *r, const cw_frame *fr, uint64_t pc)
{
    if (!fr->module || fr->module[0] != '/' || pc < fr->vaddr)
        return;
    for (size_t i = 0; i < r->nmodules; i++)
        if (strcmp(r->modules[i].path, fr->module) == 0)
            return;
    cw_tsan_module_base *m = cw_array_push(&r->modules, &r->nmodules, sizeof *m);
    m->path = cw_xstrdup(fr->module);
    /* The offset is of pc-1 (or pc): the load bias is page-aligned. */
    m->bias = (pc - fr->vaddr) & ~(uint64_t)0xfff;
}

/* lines[0] is the WARNING line. */
void cw_tsan_report_split(char **lines, size_t n, bool truncated, cw_tsan_report *r)
{
    memset(r, 0, sizeof *r);
    r->truncated = truncated;
    const char *desc = lines[0] + strlen(CW_TSAN_WARNING_PREFIX);
    const char *pid = strstr(desc, " (pid=");
    r->description = cw_xstrndup(desc, pid ? (size_t)(pid - desc) : strlen(desc));
    cw_tsan_section *cur = NULL;
    for (size_t i = 1; i < n; i++) {
        const char *line = lines[i];
        size_t indent = strspn(line, " ");
        const char *text = line + indent;
        cw_frame fr;
        uint64_t pc;
        if (*text == '#' && cw_tsan_parse_frame(line, &fr, &pc)) {
            if (!cur)
                cur = add_section(r, CW_TSAN_SEC_TOP, NULL);
            if (pc)
                note_module_base(r, &fr, pc);
            *(cw_frame *)cw_array_push(&cur->frames, &cur->nframes, sizeof fr) = fr;
        } else if (starts_with(text, "[failed to restore the stack]")) {
            if (cur)
                cur->failed_restore = true;
        } else if (indent >= 1 && indent <= 3 && *text) {
            cur = add_section(r, classify(text), text);
        } else if (starts_with(line, "SUMMARY:")) {
            cur = NULL;
        }
        /* blank lines and anything else: ignored */
    }
}

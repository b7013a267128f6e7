/* Record stream -> cw_finding_list.  The rules are in finding_reader.h. */
#define _GNU_SOURCE
#include "finding_reader.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/record_format.h"
#include "report_files.h"
#include "number_fields.h"
#include "xalloc.h"

#define MAX_FIELDS 4

/* One record line split at TABs; the last field keeps any further TABs. */
typedef struct record {
    const char *field[MAX_FIELDS];
    size_t len[MAX_FIELDS];
    int n;
} record;

/* Where the frame lines that follow a lock/stack line go. */
typedef enum { SINK_NONE, SINK_LOCK, SINK_STACK } frame_sink;

typedef struct parser {
    cw_finding cur;          /* the finding being read */
    bool open;               /* a `finding` line was seen, `end` not yet */
    frame_sink sink;         /* the last lock or the last stack of cur */
    long pid;
    cw_finding_list *out;
    size_t appended;
} parser;

static void split_record(const char *line, size_t len, int max_fields, record *r)
{
    r->n = 0;
    while (r->n < max_fields) {
        const char *tab = r->n + 1 < max_fields ? memchr(line, '\t', len) : NULL;
        size_t flen = tab ? (size_t)(tab - line) : len;
        r->field[r->n] = line;
        r->len[r->n] = flen;
        r->n++;
        if (!tab)
            break;
        line = tab + 1;
        len -= flen + 1;
    }
}

static bool tag_is(const record *r, const char *tag)
{
    return r->len[0] == strlen(tag) && memcmp(r->field[0], tag, r->len[0]) == 0;
}

/* Field i as an owned string, NULL if the record does not have it. */
static char *field_dup(const record *r, int i)
{
    return i < r->n ? cw_xstrndup(r->field[i], r->len[i]) : NULL;
}

static bool worth_keeping_unterminated(const cw_finding *f)
{
    for (size_t i = 0; i < f->nstacks; i++)
        if (f->stacks[i].nframes > 0)
            return true;
    return false;
}

static void add_note(cw_finding *f, const char *text)
{
    char **note = cw_array_push(&f->notes, &f->nnotes, sizeof *note);
    *note = cw_xstrdup(text);
}

/* Hands the current finding to the output list (or frees it). */
static void close_finding(parser *p, bool terminated)
{
    if (!p->open)
        return;
    bool keep = terminated || worth_keeping_unterminated(&p->cur);
    if (keep) {
        if (!terminated)
            add_note(&p->cur, CW_TRUNCATED_NOTE);
        p->cur.pid = p->pid;
        cw_finding *slot = cw_array_push(&p->out->items, &p->out->n, sizeof *slot);
        *slot = p->cur;
        p->appended++;
    } else {
        cw_finding_clear(&p->cur);
    }
    memset(&p->cur, 0, sizeof p->cur);
    p->open = false;
    p->sink = SINK_NONE;
}

static cw_frame *push_frame(parser *p)
{
    cw_finding *f = &p->cur;
    if (p->sink == SINK_LOCK) {
        cw_lock *l = &f->locks[f->nlocks - 1];
        return cw_array_push(&l->frames, &l->nframes, sizeof(cw_frame));
    }
    if (p->sink == SINK_NONE) {   /* frames before any lock/stack line */
        cw_array_push(&f->stacks, &f->nstacks, sizeof(cw_stack));
        p->sink = SINK_STACK;
    }
    cw_stack *s = &f->stacks[f->nstacks - 1];
    return cw_array_push(&s->frames, &s->nframes, sizeof(cw_frame));
}

static void on_finding(parser *p, const char *line, size_t len)
{
    record r;
    split_record(line, len, 3, &r);
    close_finding(p, false);
    p->open = true;
    p->cur.kind = field_dup(&r, 1);
    p->cur.message = field_dup(&r, 2);
}

static void on_lock(parser *p, const char *line, size_t len)
{
    record r;
    split_record(line, len, 4, &r);
    cw_lock *l = cw_array_push(&p->cur.locks, &p->cur.nlocks, sizeof *l);
    l->id = field_dup(&r, 1);
    l->type = field_dup(&r, 2);
    l->how = field_dup(&r, 3);
    p->sink = SINK_LOCK;
}

/* lockaddr <addr> [<module> <vaddr>]: where the last lock lives. */
static void on_lockaddr(parser *p, const char *line, size_t len)
{
    record r;
    uint64_t addr, vaddr;
    split_record(line, len, 4, &r);
    if (p->sink != SINK_LOCK || r.n < 2 || !cw_parse_hex_field(r.field[1], r.len[1], &addr))
        return;
    cw_lock *l = &p->cur.locks[p->cur.nlocks - 1];
    l->addr = addr;
    if (r.n == 4 && r.len[2] > 0 && cw_parse_hex_field(r.field[3], r.len[3], &vaddr)) {
        free(l->module);
        l->module = field_dup(&r, 2);
        l->vaddr = vaddr;
    }
}

static void on_stack(parser *p, const char *line, size_t len)
{
    record r;
    split_record(line, len, 3, &r);
    cw_stack *s = cw_array_push(&p->cur.stacks, &p->cur.nstacks, sizeof *s);
    s->thread = field_dup(&r, 1);
    s->role = field_dup(&r, 2);
    p->sink = SINK_STACK;
}

static void on_frame(parser *p, const char *line, size_t len)
{
    record r;
    uint64_t vaddr;
    split_record(line, len, 4, &r);
    if (r.n < 3 || !cw_parse_hex_field(r.field[2], r.len[2], &vaddr))
        return;
    cw_frame *fr = push_frame(p);
    fr->module = field_dup(&r, 1);
    fr->vaddr = vaddr;
    fr->is_return = !(r.n > 3 && r.len[3] == 1 && r.field[3][0] == 'i');
}

static void on_pyframe(parser *p, const char *line, size_t len)
{
    record r;
    split_record(line, len, 4, &r);
    cw_frame *fr = push_frame(p);
    fr->is_python = true;
    fr->file = field_dup(&r, 1);
    fr->line = r.n > 2 ? cw_parse_line_field(r.field[2], r.len[2]) : 0;
    fr->function = field_dup(&r, 3);
}

static void on_note(parser *p, const char *line, size_t len)
{
    record r;
    split_record(line, len, 2, &r);
    if (r.n > 1) {
        char **note = cw_array_push(&p->cur.notes, &p->cur.nnotes, sizeof *note);
        *note = field_dup(&r, 1);
    }
}

/* `races <method> <detail>`: a later record of a process replaces its
 * earlier one; the first process that says wins over the others (its
 * children). */
static void on_races(parser *p, const char *line, size_t len)
{
    record r;
    split_record(line, len, 3, &r);
    cw_finding_list *l = p->out;
    if (r.n < 2 || (l->race_method && l->race_pid != p->pid))
        return;
    /* In CPython the C sampler says "off" when it starts, which may come
     * after the Python checks said they are on: they stay the answer. */
    if (l->race_method && strcmp(l->race_method, CW_RACE_METHOD_PYTHON) == 0 &&
        r.len[1] == strlen(CW_RACE_METHOD_OFF) && memcmp(r.field[1], CW_RACE_METHOD_OFF, r.len[1]) == 0)
        return;
    free(l->race_method);
    free(l->race_detail);
    l->race_method = field_dup(&r, 1);
    l->race_detail = r.n > 2 && r.len[2] ? field_dup(&r, 2) : NULL;
    l->race_pid = p->pid;
}

static void on_line(parser *p, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return;
    record tag;
    split_record(line, len, 2, &tag);
    if (tag_is(&tag, "races"))
        on_races(p, line, len);
    else if (tag_is(&tag, "finding"))
        on_finding(p, line, len);
    else if (!p->open)
        return;                  /* stray record outside a finding */
    else if (tag_is(&tag, "end"))
        close_finding(p, true);
    else if (tag_is(&tag, "lock"))
        on_lock(p, line, len);
    else if (tag_is(&tag, "lockaddr"))
        on_lockaddr(p, line, len);
    else if (tag_is(&tag, "stack"))
        on_stack(p, line, len);
    else if (tag_is(&tag, "frame"))
        on_frame(p, line, len);
    else if (tag_is(&tag, "pyframe"))
        on_pyframe(p, line, len);
    else if (tag_is(&tag, "note"))
        on_note(p, line, len);
    /* anything else: a record from a newer shim, ignored */
}

size_t cw_parse_records(const char *buf, size_t len, long pid, cw_finding_list *out)
{
    parser p = { .pid = pid, .out = out };
    if (!buf)
        return 0;
    const char *end = buf + len;
    for (const char *line = buf; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl)
            break;               /* unterminated last line: may be cut mid-field */
        on_line(&p, line, (size_t)(nl - line));
        line = nl + 1;
    }
    close_finding(&p, false);
    return p.appended;
}

/* ---- the report directory ---- */

static size_t parse_file(const char *text, size_t len, long pid, void *out)
{
    return cw_parse_records(text, len, pid, out);
}

long cw_read_findings_dir(const char *dir, cw_finding_list *out)
{
    return cw_for_each_report_file(dir, CW_FINDINGS_PREFIX, parse_file, out);
}

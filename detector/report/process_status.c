/* Status records of the run's processes; see process_status.h. */
#define _GNU_SOURCE
#include "process_status.h"

#include <stdlib.h>
#include <string.h>

#include "common/shim_health.h"
#include "number_fields.h"
#include "report_files.h"
#include "xalloc.h"

#define MAX_FIELDS 6

typedef struct fields {
    const char *s[MAX_FIELDS];
    size_t len[MAX_FIELDS];
    int n;
} fields;

/* TAB-separated; the last field takes the rest of the line. */
static void split(const char *line, size_t len, int max, fields *f)
{
    f->n = 0;
    const char *p = line, *end = line + len;
    while (f->n < max) {
        const char *tab = f->n + 1 < max ? memchr(p, '\t', (size_t)(end - p)) : NULL;
        const char *stop = tab ? tab : end;
        f->s[f->n] = p;
        f->len[f->n] = (size_t)(stop - p);
        f->n++;
        if (!tab)
            break;
        p = tab + 1;
    }
}

static bool is(const fields *f, const char *tag)
{
    return f->n > 0 && f->len[0] == strlen(tag) && memcmp(f->s[0], tag, f->len[0]) == 0;
}

static char *dup_field(const fields *f, int i)
{
    return i < f->n ? cw_xstrndup(f->s[i], f->len[i]) : NULL;
}

static long number(const fields *f, int i)
{
    if (i >= f->n || f->len[i] == 0 || f->len[i] > 18)
        return 0;
    long v = 0;
    for (size_t k = 0; k < f->len[i]; k++) {
        char c = f->s[i][k];
        if (c < '0' || c > '9')
            return 0;
        v = v * 10 + (c - '0');
    }
    return v;
}

cw_process *cw_process_find(const cw_process_list *list, long pid)
{
    for (size_t i = 0; i < list->n; i++)
        if (list->items[i].pid == pid)
            return &list->items[i];
    return NULL;
}

static cw_process *process_of(cw_process_list *list, long pid)
{
    cw_process *p = cw_process_find(list, pid);
    if (!p) {
        p = cw_array_push(&list->items, &list->n, sizeof *p);
        p->pid = pid;
    }
    return p;
}

static void replace(char **slot, char *value)
{
    free(*slot);
    *slot = value;
}

void cw_parse_status(const char *buf, size_t len, long pid, cw_process_list *out)
{
    if (!buf || pid <= 0)
        return;
    cw_process *p = process_of(out, pid);
    bool in_crash = false;
    const char *end = buf + len;
    for (const char *line = buf; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl)
            break;               /* unterminated last line: may be cut short */
        size_t n = (size_t)(nl - line);
        fields f;
        split(line, n, MAX_FIELDS, &f);
        line = nl + 1;
        if (in_crash && is(&f, "frame")) {
            uint64_t vaddr;
            if (f.n < 3 || !cw_parse_hex_field(f.s[2], f.len[2], &vaddr))
                continue;
            cw_frame *fr = cw_array_push(&p->crash_frames, &p->ncrash_frames, sizeof *fr);
            fr->module = dup_field(&f, 1);
            fr->vaddr = vaddr;
            fr->is_return = !(f.n > 3 && f.len[3] >= 1 && f.s[3][0] == 'i');
            continue;
        }
        in_crash = false;
        if (is(&f, "process")) {
            p->ppid = number(&f, 2);
            replace(&p->command, dup_field(&f, 3));
        } else if (is(&f, "off")) {
            if (!p->off_reason)
                p->off_reason = dup_field(&f, 1);
        } else if (is(&f, "crash") && !p->crashed) {
            p->crashed = true;
            p->crash_signal = dup_field(&f, 1);
            p->crash_address = dup_field(&f, 2);
            p->crash_on_helper = f.n > 3 && f.len[3] == 6 && memcmp(f.s[3], "helper", 6) == 0;
            p->crash_thread = dup_field(&f, 4);
            in_crash = true;
        } else if (is(&f, "unwatched")) {
            cw_unwatched *u = cw_array_push(&out->unwatched, &out->nunwatched, sizeof *u);
            u->pid = pid;
            u->path = dup_field(&f, 1);
            u->reason = dup_field(&f, 2);
            u->ppid = number(&f, 3);
        }
        /* anything else: from a newer shim, ignored */
    }
}

static size_t parse_file(const char *text, size_t len, long pid, void *out)
{
    cw_parse_status(text, len, pid, out);
    return 1;
}

long cw_read_process_status(const char *dir, cw_process_list *out)
{
    return cw_for_each_report_file(dir, CW_STATUS_PREFIX, parse_file, out);
}

void cw_process_list_free(cw_process_list *list)
{
    for (size_t i = 0; i < list->n; i++) {
        cw_process *p = &list->items[i];
        free(p->command);
        free(p->off_reason);
        free(p->crash_signal);
        free(p->crash_address);
        free(p->crash_thread);
        for (size_t k = 0; k < p->ncrash_frames; k++)
            cw_frame_clear(&p->crash_frames[k]);
        free(p->crash_frames);
    }
    free(list->items);
    for (size_t i = 0; i < list->nunwatched; i++) {
        free(list->unwatched[i].path);
        free(list->unwatched[i].reason);
    }
    free(list->unwatched);
    *list = (cw_process_list){ 0 };
}

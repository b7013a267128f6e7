/* Lock names; see lock_names.h. */
#define _GNU_SOURCE
#include "lock_names.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code_names.h"
#include "data_names.h"
#include "paths.h"
#include "render_text.h"
#include "source_text.h"
#include "xalloc.h"

typedef struct namer {
    cw_data_names *data;
    cw_source_text *src;
    const char *base_dir;
} namer;

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    va_list ap;
    char *out = NULL;
    va_start(ap, fmt);
    if (vasprintf(&out, fmt, ap) < 0)
        out = NULL;
    va_end(ap);
    return out;
}

/* "a struct account", "an Account". */
static const char *article(const char *word)
{
    return word && strchr("AEIOUaeiou", word[0]) && word[0] ? "an" : "a";
}

/* "bank.c:40" as the reports show it. */
static void site_text(const namer *n, const cw_frame *fr, char *out, size_t size)
{
    const char *file = cw_display_path(fr->file, n->base_dir);
    if (fr->line > 0)
        snprintf(out, size, "%s:%d", file, fr->line);
    else
        snprintf(out, size, "%s", file);
}

/* What happened at the lock's recorded stack, as a verb. */
static const char *site_verb(const cw_lock *l, bool python)
{
    if (l->how && strcmp(l->how, "created") == 0)
        return python ? "created" : "initialised";
    if (l->how && strncmp(l->how, "first used", 10) == 0)
        return "first locked";
    return "locked";
}

static bool name_static(namer *n, cw_lock *l)
{
    cw_static_data d;
    if (!l->module || !cw_static_data_name(n->data, l->module, l->vaddr, &d))
        return false;
    l->name = cw_xstrdup(d.expr);
    if (d.decl_file && d.decl_line > 0)
        l->description = format("`%s` (%s, %s:%d)", d.expr, d.storage,
                                cw_display_path(d.decl_file, n->base_dir), d.decl_line);
    else
        l->description = format("`%s` (%s)", d.expr, d.storage);
    cw_static_data_clear(&d);
    return true;
}

static void name_native(namer *n, cw_lock *l)
{
    const cw_frame *site = cw_first_user_frame(l->frames, l->nframes);
    if (!site)
        return;
    char where[512], path[256];
    site_text(n, site, where, sizeof where);
    const char *verb = site_verb(l, false);
    cw_path_type t = { 0 };
    const char *line = cw_source_line(n->src, site->file, site->line);
    if (cw_c_lock_expression(line, path, sizeof path) &&
        cw_path_type_at(n->data, site->module, site->vaddr, site->is_return, path, &t)) {
        if (t.local_of) {
            l->name = cw_xstrdup(path);
            l->description = format("`%s` (local in %s(), %s at %s)", path, t.local_of, verb, where);
        } else if (t.member && t.container) {
            l->description = format("field `%s` of %s %s (%s at %s)", t.member, article(t.container),
                                    t.container, verb, where);
        }
        cw_path_type_clear(&t);
    }
    if (!l->description)
        l->description = format("a %s %s at %s", l->type && l->type[0] ? l->type : "lock", verb, where);
}

static bool has_python_frames(const cw_lock *l)
{
    for (size_t i = 0; i < l->nframes; i++)
        if (l->frames[i].is_python)
            return true;
    return false;
}

static int indentation(const char *line)
{
    int n = 0;
    while (line[n] == ' ' || line[n] == '\t')
        n++;
    return n;
}

static bool is_blank_or_comment(const char *line)
{
    const char *p = line + indentation(line);
    return *p == '\0' || *p == '#';
}

/* The class whose method `function` holds line `line` of file, read from the
   source's indentation: the nearest `def function(` above the line and less
   indented, then the nearest `class Name` above that and less indented.
   Copies Name into out; false when the line is not in a method. */
static bool enclosing_class(namer *n, const char *file, int line, const char *function, char *out, size_t size)
{
    const char *text = cw_source_line(n->src, file, line);
    if (!text || !function)
        return false;
    int limit = indentation(text);
    bool in_def = false;
    for (int k = line - 1; k > 0; k--) {
        const char *l = cw_source_line(n->src, file, k);
        if (!l || is_blank_or_comment(l) || indentation(l) >= limit)
            continue;
        const char *p = l + indentation(l);
        limit = indentation(l);
        if (!in_def) {
            size_t flen = strlen(function);
            if (strncmp(p, "async ", 6) == 0)
                p += 6;
            if (strncmp(p, "def ", 4) != 0 || strncmp(p + 4, function, flen) != 0 || p[4 + flen] != '(')
                return false;
            in_def = true;
            continue;
        }
        if (strncmp(p, "class ", 6) != 0)
            return false;
        p += 6;
        size_t len = strcspn(p, "(: \t");
        if (len == 0 || len + 1 > size)
            return false;
        memcpy(out, p, len);
        out[len] = '\0';
        return true;
    }
    return false;
}

/* Only the innermost user frame is used: the outer frames of a Python
   creation stack come from the shim's per-site cache, shared by every lock
   created at that line (python_sites.h), so they may be another call's. */
static void name_python(namer *n, cw_lock *l)
{
    const cw_frame *site = cw_first_user_frame(l->frames, l->nframes);
    if (!site)
        return;
    /* The user's line must make the lock: directly (Lock() is C code, no
       frame of its own) or through library constructors (Condition(),
       Queue(): __init__ frames), not in a library call that makes one for
       its own use (Condition.wait's waiter lock). */
    for (const cw_frame *fr = l->frames; fr < site; fr++)
        if (!fr->function || strcmp(fr->function, "__init__") != 0)
            return;
    char name[256], cls[128], where[512];
    if (!cw_python_assigned_name(cw_source_line(n->src, site->file, site->line), name, sizeof name))
        return;
    site_text(n, site, where, sizeof where);
    const char *verb = site_verb(l, true);
    /* self.X in a method: an attribute of that class's objects. */
    if (strncmp(name, "self.", 5) == 0 && !strpbrk(name + 5, ".[") &&
        enclosing_class(n, site->file, site->line, site->function, cls, sizeof cls)) {
        l->description = format("attribute `%s` of %s %s object (%s at %s)", name + 5, article(cls), cls, verb,
                                where);
        return;
    }
    l->name = cw_xstrdup(name);
    l->description = format("`%s` (%s at %s)", name, verb, where);
}

static void name_lock(namer *n, cw_lock *l)
{
    if (l->name || l->description)
        return;
    if (name_static(n, l))
        return;
    if (has_python_frames(l))
        name_python(n, l);
    else
        name_native(n, l);
}

void cw_name_locks(cw_symbolizer *sym, cw_finding_list *list, const char *base_dir)
{
    namer n = { .data = cw_data_names_new(sym), .src = cw_source_text_new(), .base_dir = base_dir };
    for (size_t i = 0; i < list->n; i++)
        for (size_t k = 0; k < list->items[i].nlocks; k++)
            name_lock(&n, &list->items[i].locks[k]);
    cw_source_text_free(n.src);
    cw_data_names_free(n.data);
}

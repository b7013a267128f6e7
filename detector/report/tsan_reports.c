/* ThreadSanitizer logs -> cw_finding_list.  The rules are in tsan_reports.h. */
#define _GNU_SOURCE
#include "tsan_reports.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "finding_reader.h"
#include "paths.h"
#include "report_files.h"
#include "symbolizer.h"
#include "tsan_thread_names.h"
#include "number_fields.h"
#include "xalloc.h"
#include "common/record_format.h"

static const char SEPARATOR[] = "==================";
static const char WARNING_PREFIX[] = "WARNING: ThreadSanitizer: ";
static const char CLOSING_PREFIX[] = "ThreadSanitizer: reported ";

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) {
        fputs("concwatch: out of memory\n", stderr);
        exit(2);
    }
    return s;
}

static const char *bytes(long n)
{
    return n == 1 ? "byte" : "bytes";
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
static bool parse_frame(const char *line, cw_frame *fr, uint64_t *pc)
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

static bool module_is(const cw_frame *fr, const char *prefix)
{
    const char *base = cw_basename(fr->module);
    return base && starts_with(base, prefix);
}

/* Frames that are plumbing between the user's code and TSan: the shim's and
   TSan's own. */
static bool is_tool_frame(const cw_frame *fr)
{
    return module_is(fr, "libconcwatch") || module_is(fr, "libtsan");
}

static bool same_address(const cw_frame *a, const cw_frame *b)
{
    return a->vaddr == b->vaddr && a->module && b->module && strcmp(a->module, b->module) == 0;
}

static bool is_user_frame(const cw_frame *fr)
{
    return (fr->function || fr->file) && fr->module && !cw_is_runtime_module(fr->module);
}


/* ---- one report, split into sections ---- */

typedef enum {
    SEC_TOP,        /* the frames right under the WARNING line */
    SEC_ACCESS,     /* "Write of size 8 at ... by thread T1:" */
    SEC_SLEEP,      /* "As if synchronized via sleep:" */
    SEC_LOCATION,   /* "Location is ..." */
    SEC_MUTEX,      /* "Mutex M7 (0x...) created at:" */
    SEC_THREAD,     /* "Thread T1 (tid=..., running) created by main thread at:" */
    SEC_OTHER,
} section_kind;

typedef struct section {
    section_kind kind;
    char *header;            /* without indentation and final ':'; NULL for SEC_TOP */
    cw_frame *frames;        /* as TSan printed them, tool frames included */
    size_t nframes;
    bool failed_restore;     /* "[failed to restore the stack]" */
} section;

/* Where a module was loaded in the reporting process (from a frame's pc and
   offset), to name the mutexes TSan gives by address. */
typedef struct module_base {
    char *path;
    uint64_t bias;           /* absolute address = ELF vaddr + bias */
} module_base;

typedef struct report {
    char *description;       /* "data race", "thread leak", ... */
    section *sections;
    size_t nsections;
    bool truncated;          /* no closing separator */
    module_base *modules;
    size_t nmodules;
    cw_symbolizer *sym;      /* the log's: names globals by address */
} report;

static void report_clear(report *r)
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

static section_kind classify(const char *h)
{
    if (is_access_header(h))
        return SEC_ACCESS;
    if (starts_with(h, "As if synchronized via sleep"))
        return SEC_SLEEP;
    if (starts_with(h, "Location is "))
        return SEC_LOCATION;
    if (starts_with(h, "Mutex M"))
        return SEC_MUTEX;
    if (starts_with(h, "Thread T"))
        return SEC_THREAD;
    return SEC_OTHER;
}

static section *add_section(report *r, section_kind kind, const char *header)
{
    section *s = cw_array_push(&r->sections, &r->nsections, sizeof *s);
    s->kind = kind;
    if (header) {
        size_t n = strlen(header);
        while (n > 0 && (header[n - 1] == ' ' || header[n - 1] == ':'))
            n--;
        s->header = cw_xstrndup(header, n);
    }
    return s;
}

static void note_module_base(report *r, const cw_frame *fr, uint64_t pc)
{
    if (!fr->module || fr->module[0] != '/' || pc < fr->vaddr)
        return;
    for (size_t i = 0; i < r->nmodules; i++)
        if (strcmp(r->modules[i].path, fr->module) == 0)
            return;
    module_base *m = cw_array_push(&r->modules, &r->nmodules, sizeof *m);
    m->path = cw_xstrdup(fr->module);
    /* The offset is of pc-1 (or pc): the load bias is page-aligned. */
    m->bias = (pc - fr->vaddr) & ~(uint64_t)0xfff;
}

/* lines[0] is the WARNING line. */
static void split_report(char **lines, size_t n, bool truncated, report *r)
{
    memset(r, 0, sizeof *r);
    r->truncated = truncated;
    const char *desc = lines[0] + strlen(WARNING_PREFIX);
    const char *pid = strstr(desc, " (pid=");
    r->description = cw_xstrndup(desc, pid ? (size_t)(pid - desc) : strlen(desc));
    section *cur = NULL;
    for (size_t i = 1; i < n; i++) {
        const char *line = lines[i];
        size_t indent = strspn(line, " ");
        const char *text = line + indent;
        cw_frame fr;
        uint64_t pc;
        if (*text == '#' && parse_frame(line, &fr, &pc)) {
            if (!cur)
                cur = add_section(r, SEC_TOP, NULL);
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


/* ---- what the sections say ---- */

/* The renaming of the report being converted (the launcher is one thread). */
static const cw_tsan_thread_names *current_renaming;

/* "main thread" -> "T0"; "thread T5 ..." -> "T5" (or its concwatch label);
   else the text itself. */
static char *thread_label(const char *s, size_t n)
{
    if (n >= 11 && memcmp(s, "main thread", 11) == 0)
        return cw_xstrdup("T0");
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] == 'T' && s[i + 1] >= '0' && s[i + 1] <= '9' && (i == 0 || s[i - 1] == ' ')) {
            size_t k = i + 1;
            while (k < n && s[k] >= '0' && s[k] <= '9')
                k++;
            const char *ours = cw_tsan_thread_name(current_renaming, s + i, k - i);
            return ours ? cw_xstrdup(ours) : cw_xstrndup(s + i, k - i);
        }
    }
    return cw_xstrndup(s, n);
}

typedef struct mem_access {
    bool previous, write, atomic;
    long size;               /* 0: not said */
    uint64_t addr;
    bool has_addr;
    char *object;            /* the object type of an external (library) access */
    char *thread;            /* "T1" */
    char *mutexes;           /* "M7, M8 (read)", NULL if none */
} mem_access;

static void access_clear(mem_access *a)
{
    free(a->object);
    free(a->thread);
    free(a->mutexes);
    memset(a, 0, sizeof *a);
}

/* ---- naming mutexes by address ---- */

typedef struct mutex_name {
    char *id;                /* "M7" */
    char *name;              /* "control_lock", "forks+40" */
} mutex_name;

/* The module with the highest load address at or below addr (which need
   not contain it: a heap address lies above the executable). */
static const module_base *module_below(const report *r, uint64_t addr)
{
    const module_base *in = NULL;
    for (size_t i = 0; i < r->nmodules; i++)
        if (r->modules[i].bias <= addr && (!in || r->modules[i].bias > in->bias))
            in = &r->modules[i];
    return in;
}

/* The global object at addr in the reporting process, from the symbol table
   of the module it lies in; NULL if unknown (heap, stack, stripped). */
static char *data_symbol(const report *r, uint64_t addr)
{
    const module_base *in = module_below(r, addr);
    return in && r->sym ? cw_symbolize_data(r->sym, in->path, addr - in->bias) : NULL;
}

/* "Mutex M7 (0x558cf2bb5100) created at" sections -> names of M7, ... */
static size_t name_mutexes(const report *r, mutex_name **names)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nsections; i++) {
        const section *s = &r->sections[i];
        const char *open = s->kind == SEC_MUTEX ? strstr(s->header, " (0x") : NULL;
        if (!open)
            continue;
        char *name = data_symbol(r, strtoull(open + 2, NULL, 16));
        if (!name)
            continue;
        const char *id = s->header + strlen("Mutex ");
        mutex_name *m = cw_array_push(names, &n, sizeof *m);
        m->id = cw_xstrndup(id, strcspn(id, " "));
        m->name = name;
    }
    return n;
}

static void free_mutex_names(mutex_name *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(names[i].id);
        free(names[i].name);
    }
    free(names);
}

static const char *mutex_name_of(const mutex_name *names, size_t n, const char *id, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i].id) == len && memcmp(names[i].id, id, len) == 0)
            return names[i].name;
    return NULL;
}

/* " (mutexes: write M7, read M8)" -> "M7 (control_lock), M8 (read)". */
static char *held_mutexes(const char *list, size_t n, const mutex_name *names, size_t nnames)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    const char *end = list + n;
    bool first = true;
    for (const char *p = list; p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end;
        while (p < item_end && *p == ' ')
            p++;
        bool read = (size_t)(item_end - p) > 5 && memcmp(p, "read ", 5) == 0;
        if (starts_with(p, "write ") || starts_with(p, "read "))
            p = memchr(p, ' ', (size_t)(item_end - p)) + 1;
        size_t id_len = (size_t)(item_end - p);
        while (id_len > 0 && p[id_len - 1] == ' ')
            id_len--;
        const char *name = mutex_name_of(names, nnames, p, id_len);
        if (id_len > 0)
            fprintf(f, "%s%.*s%s%s%s%s", first ? "" : ", ", (int)id_len, p,
                    name || read ? " (" : "", name ? name : "",
                    name && read ? ", read" : read ? "read" : "", name || read ? ")" : "");
        first = false;
        p = comma ? comma + 1 : end;
    }
    fclose(f);
    if (len == 0) {
        free(out);
        return NULL;
    }
    return out;
}

static bool parse_access(const char *h, mem_access *a, const mutex_name *names, size_t nnames)
{
    memset(a, 0, sizeof *a);
    if (starts_with(h, "Previous ")) {
        a->previous = true;
        h += strlen("Previous ");
    }
    if (strncasecmp(h, "atomic ", 7) == 0) {
        a->atomic = true;
        h += 7;
    }
    const char *rest;
    if (strncasecmp(h, "read of size ", 13) == 0 || strncasecmp(h, "write of size ", 14) == 0) {
        a->write = (h[0] | 0x20) == 'w';
        char *end;
        a->size = strtol(h + (a->write ? 14 : 13), &end, 10);
        rest = end;
    } else if (starts_with(h, "Modifying access of ") || starts_with(h, "Read-only access of ")) {
        a->write = h[0] == 'M';
        rest = h + strlen("Modifying access of ");         /* both prefixes are this long */
        const char *at = strstr(rest, " at 0x");
        if (at)
            a->object = cw_xstrndup(rest, (size_t)(at - rest));
        rest = at ? at : rest + strlen(rest);
    } else {
        return false;
    }
    const char *at = strstr(rest, " at 0x");
    if (at) {
        char *end;
        a->addr = strtoull(at + 4, &end, 16);
        a->has_addr = end != at + 4;
    }
    const char *by = strstr(rest, " by ");
    const char *mutexes = strstr(rest, " (mutexes: ");
    if (by) {
        const char *thread = by + 4;
        size_t n = mutexes && mutexes > thread ? (size_t)(mutexes - thread) : strlen(thread);
        a->thread = thread_label(thread, n);
    }
    if (mutexes) {
        const char *list = mutexes + strlen(" (mutexes: ");
        const char *close = strchr(list, ')');
        a->mutexes = held_mutexes(list, close ? (size_t)(close - list) : strlen(list), names, nnames);
    }
    return true;
}

typedef struct location {
    char *what;              /* "global 'hits' (8 bytes)", "a stack variable of T1", ... */
    char *name;              /* the variable, when TSan names it */
    bool heap;
    uint64_t block;          /* heap block start and size */
    long block_size;
    char *stack_thread;      /* who allocated the block / made the fd */
    char *stack_role;
} location;

static void location_clear(location *l)
{
    free(l->what);
    free(l->name);
    free(l->stack_thread);
    free(l->stack_role);
    memset(l, 0, sizeof *l);
}

/* The "<thread>" after marker in s, up to " at" or the end. */
static char *thread_after(const char *s, const char *marker)
{
    const char *p = strstr(s, marker);
    if (!p)
        return NULL;
    p += strlen(marker);
    const char *end = strstr(p, " at");
    return thread_label(p, end ? (size_t)(end - p) : strlen(p));
}

static void parse_location(const char *header, location *l)
{
    memset(l, 0, sizeof *l);
    /* The section's header lost its trailing blanks: "Location is" may end it. */
    const char *p = header + strlen("Location is");
    if (*p == ' ')
        p++;
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == '.')
        n--;
    char *text = cw_xstrndup(p, n);
    if (starts_with(text, "global '")) {
        const char *name = text + strlen("global '");
        const char *end = strstr(name, "' of size ");
        if (!end)
            end = strstr(name, "' at ");
        long size = 0;
        const char *size_at = strstr(name, "' of size ");
        if (size_at)
            size = strtol(size_at + strlen("' of size "), NULL, 10);
        if (end && end > name && !(end - name == 6 && memcmp(name, "<null>", 6) == 0)) {
            l->name = cw_xstrndup(name, (size_t)(end - name));
            l->what = size > 0 ? xasprintf("global '%s' (%ld %s)", l->name, size, bytes(size))
                               : xasprintf("global '%s'", l->name);
        } else {
            const char *module = strchr(text, '(');
            l->what = module ? xasprintf("a global variable %s", module)
                             : cw_xstrdup("a global variable");
        }
    } else if (starts_with(text, "heap block of size ")) {
        l->heap = true;
        char *q;
        l->block_size = strtol(text + strlen("heap block of size "), &q, 10);
        const char *at = strstr(q, " at 0x");
        if (at)
            l->block = strtoull(at + 4, NULL, 16);
        l->stack_thread = thread_after(text, "allocated by ");
        l->stack_role = cw_xstrdup("allocates the heap block here");
        l->what = xasprintf("a heap block of %ld bytes", l->block_size);
    } else if (starts_with(text, "stack of ")) {
        char *t = thread_label(text + 9, strlen(text + 9));
        l->what = xasprintf("a stack variable of %s", t);
        free(t);
    } else if (starts_with(text, "TLS of ")) {
        char *t = thread_label(text + 7, strlen(text + 7));
        l->what = xasprintf("a thread-local variable of %s", t);
        free(t);
    } else if (starts_with(text, "file descriptor ")) {
        long fd = strtol(text + strlen("file descriptor "), NULL, 10);
        l->what = xasprintf("file descriptor %ld", fd);
        bool destroyed = strstr(text, " destroyed by ") != NULL;
        l->stack_thread = thread_after(text, destroyed ? "destroyed by " : "created by ");
        l->stack_role = xasprintf("%s file descriptor %ld here", destroyed ? "closes" : "creates", fd);
    } else {
        l->what = cw_xstrdup(text);
    }
    free(text);
}


/* ---- building the finding ---- */

/*
 * True when the code that made this stack's access or call is the shim's
 * own: the first frame below libtsan is in the shim and its function (the
 * outermost of an inlined chain there) is not one that the shim forwards for
 * the program.
 */
static bool made_by_shim(const section *s)
{
    size_t i = 0;
    while (i < s->nframes && module_is(&s->frames[i], "libtsan"))
        i++;
    if (i == s->nframes || !module_is(&s->frames[i], "libconcwatch"))
        return false;
    while (i + 1 < s->nframes && same_address(&s->frames[i], &s->frames[i + 1]))
        i++;                           /* inlined into the next frame */
    const char *fn = s->frames[i].function;
    return !fn || !(starts_with(fn, "pthread_") || starts_with(fn, "sem_"));
}

/* Copies the frames that are not the shim's or TSan's; a frame whose call
   was inlined into the next one is marked so. */
static void copy_user_frames(const section *s, cw_frame **out, size_t *n)
{
    for (size_t i = 0; i < s->nframes; i++) {
        const cw_frame *in = &s->frames[i];
        if (is_tool_frame(in))
            continue;
        cw_frame *fr = cw_array_push(out, n, sizeof *fr);
        fr->module = cw_xstrdup(in->module);
        fr->vaddr = in->vaddr;
        fr->is_return = false;         /* TSan's offsets are of the call itself */
        fr->is_inlined = i + 1 < s->nframes && same_address(in, &s->frames[i + 1]);
        fr->function = cw_xstrdup(in->function);
        fr->file = cw_xstrdup(in->file);
        fr->line = in->line;
    }
}

static bool has_user_frame(const section *s)
{
    for (size_t i = 0; i < s->nframes; i++)
        if (!is_tool_frame(&s->frames[i]) && is_user_frame(&s->frames[i]))
            return true;
    return false;
}

static cw_stack *add_stack(cw_finding *f, const section *s, char *thread, char *role)
{
    cw_stack *st = cw_array_push(&f->stacks, &f->nstacks, sizeof *st);
    st->thread = thread;
    st->role = role;
    if (s)
        copy_user_frames(s, &st->frames, &st->nframes);
    return st;
}

static void add_note(cw_finding *f, char *note)
{
    *(char **)cw_array_push(&f->notes, &f->nnotes, sizeof(char *)) = note;
}

/* "Mutex M7 (0x...) created at" -> lock M7, with where TSan first saw it
   and where it lives, for lock_names.h (a global is found by its module's
   DWARF; a module below a heap address holds no variable there). */
static void add_mutex(cw_finding *f, const section *s, const report *r)
{
    const char *id = s->header + strlen("Mutex ");
    cw_lock *l = cw_array_push(&f->locks, &f->nlocks, sizeof *l);
    l->id = cw_xstrndup(id, strcspn(id, " "));
    l->type = cw_xstrdup("mutex");
    const char *open = strstr(s->header, " (0x");
    if (open) {
        l->addr = strtoull(open + 2, NULL, 16);
        const module_base *in = module_below(r, l->addr);
        if (in) {
            l->module = cw_xstrdup(in->path);
            l->vaddr = l->addr - in->bias;
        }
    }
    /* TSan says "created" for the first operation it saw: an init, or the
       first lock of a statically initialized mutex. */
    bool init = s->nframes > 0 && s->frames[0].function && strstr(s->frames[0].function, "_init");
    l->how = cw_xstrdup(init || s->nframes == 0 ? "created" : "first used");
    copy_user_frames(s, &l->frames, &l->nframes);
}

/* "Thread T1 (tid=..., running) created by main thread at" -> the creator's
   stack, role "creates T1 here". */
static void add_thread_creation(cw_finding *f, const section *s)
{
    const char *created = s->header + strlen("Thread ");
    char *child = thread_label(created, strcspn(created, " "));
    char *parent = thread_after(s->header, "created by ");
    add_stack(f, s, parent, xasprintf("creates %s here", child));
    free(child);
}

/* The first frame of the user's code in s, as "func (file:line)". */
static char *where(const section *s)
{
    for (size_t i = 0; i < s->nframes; i++) {
        const cw_frame *fr = &s->frames[i];
        if (is_tool_frame(fr) || !is_user_frame(fr))
            continue;
        const char *file = cw_basename(fr->file);
        if (file && fr->line > 0)
            return xasprintf("%s (%s:%d)", fr->function ? fr->function : "?", file, fr->line);
        return xasprintf("%s", fr->function ? fr->function : file);
    }
    return NULL;
}

static const char *verb(const mem_access *a, bool participle)
{
    if (participle)
        return a->atomic ? (a->write ? "atomically written" : "atomically read")
                         : (a->write ? (a->object ? "modified" : "written") : "read");
    if (a->previous)
        return a->atomic ? (a->write ? "atomically wrote" : "atomically read")
                         : (a->write ? (a->object ? "modified" : "wrote") : "read");
    return a->atomic ? (a->write ? "atomically writes" : "atomically reads")
                     : (a->write ? (a->object ? "modifies" : "writes") : "reads");
}

/* What one access touched, for its stack's role. */
static char *access_object(const mem_access *a, const location *loc)
{
    if (loc->name)
        return a->size > 0 ? xasprintf("'%s' (%ld %s)", loc->name, a->size, bytes(a->size))
                           : xasprintf("'%s'", loc->name);
    if (a->object)
        return xasprintf("a %s object", a->object);
    if (loc->heap && a->has_addr && a->addr >= loc->block && a->addr - loc->block < (uint64_t)loc->block_size)
        return xasprintf("%ld %s at offset %" PRIu64 " of the heap block", a->size, bytes(a->size),
                         a->addr - loc->block);
    if (a->has_addr)
        return xasprintf("%ld %s at 0x%" PRIx64, a->size, bytes(a->size), a->addr);
    return xasprintf("%ld %s", a->size, bytes(a->size));
}

static char *race_message(const report *r, const mem_access *acc, size_t nacc, const location *loc)
{
    char *what;
    if (loc->what && !loc->name && loc->heap && nacc > 0 && acc[0].has_addr &&
        acc[0].addr >= loc->block && acc[0].addr - loc->block < (uint64_t)loc->block_size)
        what = xasprintf("%ld %s at offset %" PRIu64 " of %s", acc[0].size, bytes(acc[0].size),
                         acc[0].addr - loc->block, loc->what);
    else if (loc->what)
        what = cw_xstrdup(loc->what);
    else if (nacc > 0 && acc[0].object)
        what = xasprintf("a %s object", acc[0].object);
    else if (nacc > 0 && acc[0].has_addr)
        what = xasprintf("%ld %s at 0x%" PRIx64, acc[0].size, bytes(acc[0].size), acc[0].addr);
    else
        what = cw_xstrdup("memory");
    bool plain = strcmp(r->description, "data race") == 0;
    char *msg;
    if (nacc >= 2)
        msg = xasprintf("%s%s%s: %s by %s and %s by %s, with no synchronization between them",
                        r->description, plain ? " on " : ", ", what,
                        verb(&acc[0], true), acc[0].thread ? acc[0].thread : "a thread",
                        verb(&acc[1], true), acc[1].thread ? acc[1].thread : "another thread");
    else if (nacc == 1)
        msg = xasprintf("%s%s%s: %s by %s", r->description, plain ? " on " : ", ", what,
                        verb(&acc[0], true), acc[0].thread ? acc[0].thread : "a thread");
    else
        msg = xasprintf("%s%s%s", r->description, plain ? " on " : ", ", what);
    free(what);
    return msg;
}

static void convert_race(const report *r, cw_finding *f)
{
    f->kind = cw_xstrdup("data-race");
    location loc = { 0 };
    for (size_t i = 0; i < r->nsections; i++)
        if (r->sections[i].kind == SEC_LOCATION && !loc.what)
            parse_location(r->sections[i].header, &loc);

    mutex_name *names = NULL;
    size_t nnames = name_mutexes(r, &names);
    mem_access acc[4];
    size_t nacc = 0;
    bool failed_restore = false;
    for (size_t i = 0; i < r->nsections; i++) {
        const section *s = &r->sections[i];
        if (s->kind != SEC_ACCESS || nacc == sizeof acc / sizeof acc[0] || !parse_access(s->header, &acc[nacc], names, nnames))
            continue;
        const mem_access *a = &acc[nacc++];
        char *object = access_object(a, &loc);
        char *role = a->mutexes ? xasprintf("%s %s here, holding %s", verb(a, false), object, a->mutexes)
                                : xasprintf("%s %s here", verb(a, false), object);
        free(object);
        add_stack(f, s, cw_xstrdup(a->thread), role);
        failed_restore |= s->failed_restore;
    }
    f->message = race_message(r, acc, nacc, &loc);

    for (size_t i = 0; i < r->nsections; i++) {
        const section *s = &r->sections[i];
        if (s->kind == SEC_LOCATION && loc.stack_role && s->nframes > 0 && has_user_frame(s))
            add_stack(f, s, cw_xstrdup(loc.stack_thread), cw_xstrdup(loc.stack_role));
        else if (s->kind == SEC_MUTEX)
            add_mutex(f, s, r);
        else if (s->kind == SEC_THREAD && has_user_frame(s))
            add_thread_creation(f, s);
    }

    add_note(f, cw_xstrdup(current_renaming && current_renaming->n
                               ? "reported by ThreadSanitizer (the program is built with -fsanitize=thread); "
                                 "thread (T) numbers are concwatch's, mutex (M) numbers ThreadSanitizer's"
                               : "reported by ThreadSanitizer (the program is built with -fsanitize=thread); "
                                 "thread (T) and mutex (M) numbers are ThreadSanitizer's"));
    if (failed_restore)
        add_note(f, cw_xstrdup("ThreadSanitizer could not restore the stack of an access "
                               "(its history was overwritten: TSAN_OPTIONS=history_size=7 keeps more)"));
    for (size_t i = 0; i < r->nsections; i++) {
        if (r->sections[i].kind != SEC_SLEEP)
            continue;
        char *at = where(&r->sections[i]);
        add_note(f, at ? xasprintf("the accesses look ordered only by a sleep, in %s: "
                                   "sleeping does not synchronize threads", at)
                       : cw_xstrdup("the accesses look ordered only by a sleep: "
                                    "sleeping does not synchronize threads"));
        free(at);
        break;
    }
    for (size_t i = 0; i < nacc; i++)
        access_clear(&acc[i]);
    location_clear(&loc);
    free_mutex_names(names, nnames);
}

/* Any other report TSan would have failed the run for. */
static void convert_other(const report *r, cw_finding *f)
{
    f->kind = cw_xstrdup("misuse");
    f->message = xasprintf("%s (reported by ThreadSanitizer)", r->description);
    for (size_t i = 0; i < r->nsections; i++) {
        const section *s = &r->sections[i];
        if (s->kind == SEC_TOP)
            add_stack(f, s, NULL, cw_xstrdup(r->description));
        else if (s->kind == SEC_THREAD && s->nframes > 0)
            add_thread_creation(f, s);
        else if (s->kind == SEC_MUTEX)
            add_mutex(f, s, r);
        else if (s->nframes > 0)
            add_stack(f, s, NULL, cw_xstrdup(s->header));
        else if (s->header)
            add_note(f, cw_xstrdup(s->header));
    }
}

static bool is_race(const char *description)
{
    return starts_with(description, "data race") || starts_with(description, "race on ") ||
           starts_with(description, "heap-use-after-free (virtual call vs free)");
}

/* concwatch's own checks cover these: never reported twice. */
static bool is_lock_report(const char *description)
{
    return starts_with(description, "lock-order-inversion") || strstr(description, "mutex") != NULL;
}

static bool any_stack_frames(const cw_finding *f)
{
    for (size_t i = 0; i < f->nstacks; i++)
        if (f->stacks[i].nframes > 0)
            return true;
    return false;
}

/* The named global a race report is about, or NULL (heap, stack, unnamed). */
static char *race_global(const report *r)
{
    for (size_t i = 0; i < r->nsections; i++)
        if (r->sections[i].kind == SEC_LOCATION) {
            location loc;
            parse_location(r->sections[i].header, &loc);
            char *name = loc.name && !loc.heap ? cw_xstrdup(loc.name) : NULL;
            location_clear(&loc);
            return name;
        }
    return NULL;
}

static bool listed(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* Returns true if a finding was appended.  `globals`: the variables this log
 * already has a race finding for.  TSan reports each racing pair of accesses
 * once, so a struct's fields (or two lines updating one counter) give several
 * reports; like the watchpoint sampler, concwatch reports one race per
 * variable: the first. */
static bool convert(const report *r, long pid, const char *thread_ids, cw_finding_list *out, char ***globals,
                    size_t *nglobals)
{
    if (is_lock_report(r->description))
        return false;
    bool race = is_race(r->description);
    char *global = race ? race_global(r) : NULL;
    if (global && listed(*globals, *nglobals, global)) {
        free(global);
        return false;
    }
    for (size_t i = 0; i < r->nsections; i++) {
        const section *s = &r->sections[i];
        bool decisive = s->kind == SEC_ACCESS || s->kind == SEC_TOP || (!race && s->kind == SEC_THREAD);
        if (decisive && made_by_shim(s)) {
            free(global);
            return false;
        }
    }
    cw_finding f = { .pid = pid };
    cw_tsan_thread_names renaming = { 0 };
    for (size_t i = 0; thread_ids && i < r->nsections; i++)
        if (r->sections[i].kind == SEC_THREAD)
            cw_tsan_thread_names_add(&renaming, r->sections[i].header, thread_ids);
    current_renaming = &renaming;
    if (race)
        convert_race(r, &f);
    else
        convert_other(r, &f);
    current_renaming = NULL;
    cw_tsan_thread_names_free(&renaming);
    if (r->truncated) {
        if (!any_stack_frames(&f)) {
            cw_finding_clear(&f);
            free(global);
            return false;
        }
        add_note(&f, cw_xstrdup(CW_TRUNCATED_NOTE));
    }
    *(cw_finding *)cw_array_push(&out->items, &out->n, sizeof f) = f;
    if (global)
        *(char **)cw_array_push(globals, nglobals, sizeof(char *)) = global;
    return true;
}


/* ---- the log ---- */

/* A line outside the reports, for the user; our frame format made readable. */
static void pass_through(FILE *out, const char *line)
{
    if (!out || starts_with(line, CLOSING_PREFIX))
        return;
    cw_frame fr;
    uint64_t pc;
    const char *p = line + strspn(line, " ");
    if (*p == '#' && strchr(line, '\t') && parse_frame(line, &fr, &pc)) {
        fprintf(out, "%.*s%.*s %s", (int)(p - line), line, (int)strcspn(p, "\t"), p,
                fr.function ? fr.function : "<unknown>");
        if (fr.file)
            fprintf(out, " %s:%d", fr.file, fr.line);
        if (fr.module)
            fprintf(out, " (%s+0x%" PRIx64 ")", cw_basename(fr.module), fr.vaddr);
        fputc('\n', out);
        cw_frame_clear(&fr);
        return;
    }
    fprintf(out, "%s\n", line);
}

size_t cw_parse_tsan_log(const char *buf, size_t len, long pid, const char *thread_ids, cw_finding_list *out,
                         FILE *passthrough)
{
    /* Complete lines only: a last line without '\n' may be cut mid-field. */
    const char *last_nl = len ? memrchr(buf, '\n', len) : NULL;
    size_t usable = last_nl ? (size_t)(last_nl - buf) + 1 : 0;
    /* Copied whole: a log may hold NUL bytes (a file cut short by a crash
     * can end in zeros), which must not end the copy before its last line. */
    char *text = cw_xmalloc(usable + 1);
    if (usable)
        memcpy(text, buf, usable);
    text[usable] = '\0';
    char **lines = NULL;
    size_t nlines = 0;
    for (char *p = text; p < text + usable;) {
        char *nl = memchr(p, '\n', (size_t)(text + usable - p));
        *nl = '\0';
        *(char **)cw_array_push(&lines, &nlines, sizeof(char *)) = p;
        p = nl + 1;
    }

    size_t appended = 0;
    char **globals = NULL;
    size_t nglobals = 0;
    cw_symbolizer *sym = NULL;
    for (size_t i = 0; i < nlines;) {
        if (strcmp(lines[i], SEPARATOR) == 0 && i + 1 < nlines && starts_with(lines[i + 1], WARNING_PREFIX)) {
            size_t start = i + 1, end = start + 1;
            while (end < nlines && strcmp(lines[end], SEPARATOR) != 0)
                end++;
            report r;
            split_report(lines + start, end - start, end == nlines, &r);
            if (!sym)
                sym = cw_symbolizer_new();
            r.sym = sym;
            appended += convert(&r, pid, thread_ids, out, &globals, &nglobals);
            report_clear(&r);
            i = end < nlines ? end + 1 : end;
            continue;
        }
        pass_through(passthrough, lines[i]);
        i++;
    }
    for (size_t i = 0; i < nglobals; i++)
        free(globals[i]);
    free(globals);
    cw_symbolizer_free(sym);
    free(lines);
    free(text);
    return appended;
}


/* ---- the report directory ---- */

typedef struct log_reader {
    const char *dir;
    cw_finding_list *out;
    FILE *passthrough;
} log_reader;

/* The shim's thread list of the process (threads.<pid>), or NULL. */
static char *read_thread_ids(const char *dir, long pid)
{
    char *path = xasprintf("%s/%s%ld", dir, CW_THREAD_IDS_PREFIX, pid);
    FILE *f = fopen(path, "re");
    free(path);
    if (!f)
        return NULL;
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    if (n <= 0) {
        free(text);
        return NULL;
    }
    return text;
}

static size_t parse_log_file(const char *text, size_t len, long pid, void *ctx)
{
    log_reader *r = ctx;
    if (!pid)
        return 0;                      /* only "tsan.<pid>" */
    char *ids = read_thread_ids(r->dir, pid);
    size_t n = cw_parse_tsan_log(text, len, pid, ids, r->out, r->passthrough);
    free(ids);
    return n;
}

long cw_read_tsan_reports(const char *dir, cw_finding_list *out, FILE *passthrough)
{
    log_reader r = { dir, out, passthrough };
    return cw_for_each_report_file(dir, CW_TSAN_LOG_PREFIX ".", parse_log_file, &r);
}

/* A parsed ThreadSanitizer report -> a concwatch finding.  The rules are in
   tsan_findings.h. */
#define _GNU_SOURCE
#include "tsan_findings.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "finding_reader.h"
#include "paths.h"
#include "symbolizer.h"
#include "tsan_thread_names.h"
#include "xalloc.h"

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *bytes(long n)
{
    return n == 1 ? "byte" : "bytes";
}


/* ---- whose frames ---- */

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
static const cw_tsan_module_base *module_below(const cw_tsan_report *r, uint64_t addr)
{
    const cw_tsan_module_base *in = NULL;
    for (size_t i = 0; i < r->nmodules; i++)
        if (r->modules[i].bias <= addr && (!in || r->modules[i].bias > in->bias))
            in = &r->modules[i];
    return in;
}

/* The global object at addr in the reporting process, from the symbol table
   of the module it lies in; NULL if unknown (heap, stack, stripped). */
static char *data_symbol(const cw_tsan_report *r, uint64_t addr)
{
    const cw_tsan_module_base *in = module_below(r, addr);
    return in && r->sym ? cw_symbolize_data(r->sym, in->path, addr - in->bias) : NULL;
}

/* "Mutex M7 (0x558cf2bb5100) created at" sections -> names of M7, ... */
static size_t name_mutexes(const cw_tsan_report *r, mutex_name **names)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nsections; i++) {
        const cw_tsan_section *s = &r->sections[i];
        const char *open = s->kind == CW_TSAN_SEC_MUTEX ? strstr(s->header, " (0x") : NULL;
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
            l->what = size > 0 ? cw_xasprintf("global '%s' (%ld %s)", l->name, size, bytes(size))
                               : cw_xasprintf("global '%s'", l->name);
        } else {
            const char *module = strchr(text, '(');
            l->what = module ? cw_xasprintf("a global variable %s", module)
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
        l->what = cw_xasprintf("a heap block of %ld bytes", l->block_size);
    } else if (starts_with(text, "stack of ")) {
        char *t = thread_label(text + 9, strlen(text + 9));
        l->what = cw_xasprintf("a stack variable of %s", t);
        free(t);
    } else if (starts_with(text, "TLS of ")) {
        char *t = thread_label(text + 7, strlen(text + 7));
        l->what = cw_xasprintf("a thread-local variable of %s", t);
        free(t);
    } else if (starts_with(text, "file descriptor ")) {
        long fd = strtol(text + strlen("file descriptor "), NULL, 10);
        l->what = cw_xasprintf("file descriptor %ld", fd);
        bool destroyed = strstr(text, " destroyed by ") != NULL;
        l->stack_thread = thread_after(text, destroyed ? "destroyed by " : "created by ");
        l->stack_role = cw_xasprintf("%s file descriptor %ld here", destroyed ? "closes" : "creates", fd);
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
static bool made_by_shim(const cw_tsan_section *s)
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
static void copy_user_frames(const cw_tsan_section *s, cw_frame **out, size_t *n)
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

static bool has_user_frame(const cw_tsan_section *s)
{
    for (size_t i = 0; i < s->nframes; i++)
        if (!is_tool_frame(&s->frames[i]) && is_user_frame(&s->frames[i]))
            return true;
    return false;
}

static cw_stack *add_stack(cw_finding *f, const cw_tsan_section *s, char *thread, char *role)
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
static void add_mutex(cw_finding *f, const cw_tsan_section *s, const cw_tsan_report *r)
{
    const char *id = s->header + strlen("Mutex ");
    cw_lock *l = cw_array_push(&f->locks, &f->nlocks, sizeof *l);
    l->id = cw_xstrndup(id, strcspn(id, " "));
    l->type = cw_xstrdup("mutex");
    const char *open = strstr(s->header, " (0x");
    if (open) {
        l->addr = strtoull(open + 2, NULL, 16);
        const cw_tsan_module_base *in = module_below(r, l->addr);
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
static void add_thread_creation(cw_finding *f, const cw_tsan_section *s)
{
    const char *created = s->header + strlen("Thread ");
    char *child = thread_label(created, strcspn(created, " "));
    char *parent = thread_after(s->header, "created by ");
    add_stack(f, s, parent, cw_xasprintf("creates %s here", child));
    free(child);
}

/* The first frame of the user's code in s, as "func (file:line)". */
static char *where(const cw_tsan_section *s)
{
    for (size_t i = 0; i < s->nframes; i++) {
        const cw_frame *fr = &s->frames[i];
        if (is_tool_frame(fr) || !is_user_frame(fr))
            continue;
        const char *file = cw_basename(fr->file);
        if (file && fr->line > 0)
            return cw_xasprintf("%s (%s:%d)", fr->function ? fr->function : "?", file, fr->line);
        return cw_xasprintf("%s", fr->function ? fr->function : file);
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
        return a->size > 0 ? cw_xasprintf("'%s' (%ld %s)", loc->name, a->size, bytes(a->size))
                           : cw_xasprintf("'%s'", loc->name);
    if (a->object)
        return cw_xasprintf("a %s object", a->object);
    if (loc->heap && a->has_addr && a->addr >= loc->block && a->addr - loc->block < (uint64_t)loc->block_size)
        return cw_xasprintf("%ld %s at offset %" PRIu64 " of the heap block", a->size, bytes(a->size),
                            a->addr - loc->block);
    if (a->has_addr)
        return cw_xasprintf("%ld %s at 0x%" PRIx64, a->size, bytes(a->size), a->addr);
    return cw_xasprintf("%ld %s", a->size, bytes(a->size));
}

static char *race_message(const cw_tsan_report *r, const mem_access *acc, size_t nacc, const location *loc)
{
    char *what;
    if (loc->what && !loc->name && loc->heap && nacc > 0 && acc[0].has_addr &&
        acc[0].addr >= loc->block && acc[0].addr - loc->block < (uint64_t)loc->block_size)
        what = cw_xasprintf("%ld %s at offset %" PRIu64 " of %s", acc[0].size, bytes(acc[0].size),
                            acc[0].addr - loc->block, loc->what);
    else if (loc->what)
        what = cw_xstrdup(loc->what);
    else if (nacc > 0 && acc[0].object)
        what = cw_xasprintf("a %s object", acc[0].object);
    else if (nacc > 0 && acc[0].has_addr)
        what = cw_xasprintf("%ld %s at 0x%" PRIx64, acc[0].size, bytes(acc[0].size), acc[0].addr);
    else
        what = cw_xstrdup("memory");
    bool plain = strcmp(r->description, "data race") == 0;
    char *msg;
    if (nacc >= 2)
        msg = cw_xasprintf("%s%s%s: %s by %s and %s by %s, with no synchronization between them",
                           r->description, plain ? " on " : ", ", what,
                           verb(&acc[0], true), acc[0].thread ? acc[0].thread : "a thread",
                           verb(&acc[1], true), acc[1].thread ? acc[1].thread : "another thread");
    else if (nacc == 1)
        msg = cw_xasprintf("%s%s%s: %s by %s", r->description, plain ? " on " : ", ", what,
                           verb(&acc[0], true), acc[0].thread ? acc[0].thread : "a thread");
    else
        msg = cw_xasprintf("%s%s%s", r->description, plain ? " on " : ", ", what);
    free(what);
    return msg;
}

static void convert_race(const cw_tsan_report *r, cw_finding *f)
{
    f->kind = cw_xstrdup("data-race");
    location loc = { 0 };
    for (size_t i = 0; i < r->nsections; i++)
        if (r->sections[i].kind == CW_TSAN_SEC_LOCATION && !loc.what)
            parse_location(r->sections[i].header, &loc);

    mutex_name *names = NULL;
    size_t nnames = name_mutexes(r, &names);
    mem_access acc[4];
    size_t nacc = 0;
    bool failed_restore = false;
    for (size_t i = 0; i < r->nsections; i++) {
        const cw_tsan_section *s = &r->sections[i];
        if (s->kind != CW_TSAN_SEC_ACCESS || nacc == sizeof acc / sizeof acc[0] ||
            !parse_access(s->header, &acc[nacc], names, nnames))
            continue;
        const mem_access *a = &acc[nacc++];
        char *object = access_object(a, &loc);
        char *role = a->mutexes ? cw_xasprintf("%s %s here, holding %s", verb(a, false), object, a->mutexes)
                                : cw_xasprintf("%s %s here", verb(a, false), object);
        free(object);
        add_stack(f, s, cw_xstrdup(a->thread), role);
        failed_restore |= s->failed_restore;
    }
    f->message = race_message(r, acc, nacc, &loc);

    for (size_t i = 0; i < r->nsections; i++) {
        const cw_tsan_section *s = &r->sections[i];
        if (s->kind == CW_TSAN_SEC_LOCATION && loc.stack_role && s->nframes > 0 && has_user_frame(s))
            add_stack(f, s, cw_xstrdup(loc.stack_thread), cw_xstrdup(loc.stack_role));
        else if (s->kind == CW_TSAN_SEC_MUTEX)
            add_mutex(f, s, r);
        else if (s->kind == CW_TSAN_SEC_THREAD && has_user_frame(s))
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
        if (r->sections[i].kind != CW_TSAN_SEC_SLEEP)
            continue;
        char *at = where(&r->sections[i]);
        add_note(f, at ? cw_xasprintf("the accesses look ordered only by a sleep, in %s: "
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
static void convert_other(const cw_tsan_report *r, cw_finding *f)
{
    f->kind = cw_xstrdup("misuse");
    f->message = cw_xasprintf("%s (reported by ThreadSanitizer)", r->description);
    for (size_t i = 0; i < r->nsections; i++) {
        const cw_tsan_section *s = &r->sections[i];
        if (s->kind == CW_TSAN_SEC_TOP)
            add_stack(f, s, NULL, cw_xstrdup(r->description));
        else if (s->kind == CW_TSAN_SEC_THREAD && s->nframes > 0)
            add_thread_creation(f, s);
        else if (s->kind == CW_TSAN_SEC_MUTEX)
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
static char *race_global(const cw_tsan_report *r)
{
    for (size_t i = 0; i < r->nsections; i++)
        if (r->sections[i].kind == CW_TSAN_SEC_LOCATION) {
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

/* TSan reports each racing pair of accesses once, so a struct's fields (or
 * two lines updating one counter) give several reports; like the watchpoint
 * sampler, concwatch reports one race per variable: the first (`seen`). */
bool cw_tsan_report_to_finding(const cw_tsan_report *r, long pid, const char *thread_ids,
                               cw_tsan_raced_globals *seen, cw_finding_list *out)
{
    if (is_lock_report(r->description))
        return false;
    bool race = is_race(r->description);
    char *global = race ? race_global(r) : NULL;
    if (global && listed(seen->names, seen->n, global)) {
        free(global);
        return false;
    }
    for (size_t i = 0; i < r->nsections; i++) {
        const cw_tsan_section *s = &r->sections[i];
        bool decisive = s->kind == CW_TSAN_SEC_ACCESS || s->kind == CW_TSAN_SEC_TOP ||
                        (!race && s->kind == CW_TSAN_SEC_THREAD);
        if (decisive && made_by_shim(s)) {
            free(global);
            return false;
        }
    }
    cw_finding f = { .pid = pid };
    cw_tsan_thread_names renaming = { 0 };
    for (size_t i = 0; thread_ids && i < r->nsections; i++)
        if (r->sections[i].kind == CW_TSAN_SEC_THREAD)
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
        *(char **)cw_array_push(&seen->names, &seen->n, sizeof(char *)) = global;
    return true;
}

void cw_tsan_raced_globals_free(cw_tsan_raced_globals *seen)
{
    for (size_t i = 0; i < seen->n; i++)
        free(seen->names[i]);
    free(seen->names);
    seen->names = NULL;
    seen->n = 0;
}

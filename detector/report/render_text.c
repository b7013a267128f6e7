/* TSan-like text report; see render_text.h. */
#include "render_text.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "paths.h"

static const char SEPARATOR[] = "==================";

/* ANSI SGR sequences, used only when colour is on (cw_text_style). */
typedef struct palette {
    const char *headline, *title, *location, *name, *summary, *reset;
} palette;

static const palette COLOURS = {
    .headline = "\033[1;31m", .title = "\033[1m", .location = "\033[36m",
    .name = "\033[35m", .summary = "\033[1m", .reset = "\033[0m",
};
static const palette PLAIN = { "", "", "", "", "", "" };

/* What one rendering needs besides the findings. */
typedef struct style {
    const char *base_dir;
    const palette *c;
} style;

/* What each kind means, for the headline; unknown kinds print bare. */
static const char *kind_explanation(const char *kind)
{
    static const struct { const char *kind, *why; } table[] = {
        { "self-deadlock", "a thread waits for a lock it holds" },
        { "lock-order-inversion", "potential deadlock" },
        { "deadlock", "threads blocked on each other" },
        { "data-race", "unsynchronized accesses" },
        { "misuse", "lock API used wrongly" },
    };
    for (size_t i = 0; kind && i < sizeof table / sizeof table[0]; i++)
        if (strcmp(kind, table[i].kind) == 0)
            return table[i].why;
    return NULL;
}

static void print_frame(FILE *out, size_t index, const cw_frame *fr, const style *st)
{
    fprintf(out, "    #%zu %s", index, fr->function ? fr->function : "<unknown>");
    if (fr->file) {
        fprintf(out, " %s%s", st->c->location, cw_display_path(fr->file, st->base_dir));
        if (fr->line > 0)
            fprintf(out, ":%d", fr->line);
        fputs(st->c->reset, out);
    }
    if (fr->is_python)
        fputs(" (python)", out);
    else if (fr->module)
        fprintf(out, " (%s+0x%" PRIx64 ")", cw_basename(fr->module), fr->vaddr);
    if (fr->is_inlined)
        fputs(" (inlined)", out);
    fputc('\n', out);
}

static void print_frames(FILE *out, const cw_frame *frames, size_t n, const style *st)
{
    if (n == 0)
        fputs("    <no stack recorded>\n", out);
    for (size_t i = 0; i < n; i++)
        print_frame(out, i, &frames[i], st);
}

static void print_headline(FILE *out, const cw_finding *f, const style *st)
{
    const char *kind = f->kind ? f->kind : "unknown";
    const char *why = kind_explanation(f->kind);
    fprintf(out, "%sWARNING: concwatch: %s", st->c->headline, kind);
    if (why)
        fprintf(out, " (%s)", why);
    if (f->pid > 0 && f->runs == 0)      /* merged: one pid of many would mislead */
        fprintf(out, " (pid=%ld)", f->pid);
    fprintf(out, "%s\n", st->c->reset);
    if (f->message && f->message[0])
        fprintf(out, "  %s\n", f->message);
    /* The locks by the names the code gives them, beside their short ids. */
    for (size_t i = 0; i < f->nlocks; i++)
        if (f->locks[i].description)
            fprintf(out, "  %s is %s%s%s\n", f->locks[i].id ? f->locks[i].id : "?", st->c->name,
                    f->locks[i].description, st->c->reset);
    if (f->runs > 0)
        fprintf(out, "  seen in %zu run%s, %zu process%s\n", f->runs, f->runs == 1 ? "" : "s",
                f->processes, f->processes == 1 ? "" : "es");
    for (size_t i = 0; i < f->nnotes; i++)
        fprintf(out, "  note: %s\n", f->notes[i]);
}

/* True if word occurs in text as a whole word ("T1" in "in thread T1,"). */
static bool mentions_word(const char *text, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = strstr(text, word); len && p; p = strstr(p + 1, word)) {
        bool starts = p == text || !isalnum((unsigned char)p[-1]);
        bool ends = !isalnum((unsigned char)p[len]);
        if (starts && ends)
            return true;
    }
    return false;
}

/* A role that starts with a lock ("mutex M2 acquired here ...", "M1 first
   acquired ...", "RLock M3 acquired ..." with the type of one of the
   finding's locks) is a sentence with its own subject; otherwise it is a verb
   phrase ("acquires M2 while holding M1") whose subject is the thread. */
static bool role_has_subject(const cw_finding *f, const char *role)
{
    static const char *const lock_words[] = {
        "mutex", "rwlock", "spinlock", "semaphore", "lock", "condvar", "barrier",
    };
    size_t first_len = strcspn(role, " ");
    for (size_t i = 0; i < sizeof lock_words / sizeof lock_words[0]; i++)
        if (strlen(lock_words[i]) == first_len && strncasecmp(role, lock_words[i], first_len) == 0)
            return true;
    for (size_t i = 0; i < f->nlocks; i++) {
        const char *id = f->locks[i].id, *type = f->locks[i].type;
        if (id && strlen(id) == first_len && strncmp(role, id, first_len) == 0)
            return true;
        /* a lock named by what the program made it ("Thread M2 acquired...": a CPython lock) */
        if (type && strlen(type) == first_len && strncasecmp(role, type, first_len) == 0)
            return true;
    }
    return false;
}

static void print_stack_title(FILE *out, const cw_finding *f, const cw_stack *s, const style *st)
{
    const char *role = s->role && s->role[0] ? s->role : NULL;
    const char *thread = s->thread && s->thread[0] ? s->thread : NULL;
    fputs("  ", out);
    fputs(st->c->title, out);
    if (!role && thread) {
        fprintf(out, "Thread %s:", thread);
    } else if (!role) {
        fputs("Stack:", out);
    } else if (thread && !role_has_subject(f, role)) {
        fprintf(out, "Thread %s %s:", thread, role);
    } else {
        fprintf(out, "%c%s", toupper((unsigned char)role[0]), role + 1);
        if (thread && !mentions_word(role, thread))
            fprintf(out, " (thread %s)", thread);
        fputc(':', out);
    }
    fprintf(out, "%s\n", st->c->reset);
}

static void print_stack(FILE *out, const cw_finding *f, const cw_stack *s, const style *st)
{
    fputc('\n', out);
    print_stack_title(out, f, s, st);
    print_frames(out, s->frames, s->nframes, st);
}

/* Locks without a recorded stack are left out: their id and type already
   appear in the roles, and "created at: <nothing>" only adds noise. */
static void print_lock(FILE *out, const cw_lock *l, const style *st)
{
    if (l->nframes == 0)
        return;
    const char *type = l->type && l->type[0] ? l->type : "lock";
    fprintf(out, "\n  %s%c%s %s", st->c->title, toupper((unsigned char)type[0]), type + 1, l->id ? l->id : "?");
    if (l->name)
        fprintf(out, " `%s`", l->name);
    fprintf(out, " %s at:%s\n", l->how ? l->how : "created", st->c->reset);
    print_frames(out, l->frames, l->nframes, st);
}

/* Python's own library (threading.py, queue.py...) is runtime too: the
 * summary should name the user's line that called into it. */
static bool is_python_stdlib(const char *file)
{
    return strstr(file, "/lib/python") != NULL && strstr(file, "site-packages") == NULL;
}

/* Code inlined from the system's headers is runtime too: std::mutex::lock()
 * is __gthread_mutex_lock() in /usr/include/.../gthr-default.h, inlined into
 * the user's function. */
static bool is_system_header(const char *file)
{
    return strncmp(file, "/usr/include/", 13) == 0 || strncmp(file, "/usr/lib/gcc/", 13) == 0;
}

bool cw_is_user_frame(const cw_frame *fr)
{
    if (!fr->file || fr->line <= 0)
        return false;
    if (fr->is_python)
        return !is_python_stdlib(fr->file);
    return !cw_is_runtime_module(fr->module) && !is_system_header(fr->file);
}

static const cw_frame *first_frame_where(const cw_finding *f, bool (*pred)(const cw_frame *))
{
    for (size_t s = 0; s < f->nstacks; s++)
        for (size_t i = 0; i < f->stacks[s].nframes; i++)
            if (pred(&f->stacks[s].frames[i]))
                return &f->stacks[s].frames[i];
    for (size_t l = 0; l < f->nlocks; l++)
        for (size_t i = 0; i < f->locks[l].nframes; i++)
            if (pred(&f->locks[l].frames[i]))
                return &f->locks[l].frames[i];
    return NULL;
}

const cw_frame *cw_first_user_frame(const cw_frame *frames, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cw_is_user_frame(&frames[i]))
            return &frames[i];
    return NULL;
}

static bool has_function(const cw_frame *fr)
{
    return fr->function != NULL;
}

const cw_frame *cw_summary_frame(const cw_finding *f)
{
    const cw_frame *fr = first_frame_where(f, cw_is_user_frame);
    return fr ? fr : first_frame_where(f, has_function);
}

static void print_summary(FILE *out, const cw_finding *f, const style *st)
{
    const cw_frame *fr = cw_summary_frame(f);
    fprintf(out, "\n%sSUMMARY: concwatch: %s", st->c->summary, f->kind ? f->kind : "unknown");
    if (fr && fr->file) {
        fprintf(out, " %s", cw_display_path(fr->file, st->base_dir));
        if (fr->line > 0)
            fprintf(out, ":%d", fr->line);
    }
    if (fr && fr->function)
        fprintf(out, " in %s", fr->function);
    fprintf(out, "%s\n", st->c->reset);
}

void cw_render_text_finding(FILE *out, const cw_finding *f, const char *base_dir, bool color)
{
    style st = { base_dir, color ? &COLOURS : &PLAIN };
    fprintf(out, "%s\n", SEPARATOR);
    print_headline(out, f, &st);
    for (size_t i = 0; i < f->nstacks; i++)
        print_stack(out, f, &f->stacks[i], &st);
    for (size_t i = 0; i < f->nlocks; i++)
        print_lock(out, &f->locks[i], &st);
    print_summary(out, f, &st);
    fprintf(out, "%s\n", SEPARATOR);
}

void cw_render_text(FILE *out, const cw_finding_list *list, const char *base_dir, bool color)
{
    for (size_t i = 0; i < list->n; i++)
        cw_render_text_finding(out, &list->items[i], base_dir, color);
}

void cw_render_text_header(FILE *out, const cw_finding_list *list)
{
    if (!list->race_method)
        return;
    fprintf(out, "concwatch: data races: %s", list->race_method);
    if (list->race_detail)
        fprintf(out, " (%s)", list->race_detail);
    fputc('\n', out);
}

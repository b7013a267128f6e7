/* SARIF 2.1.0 report; see render_sarif.h for the mapping. */
#define _GNU_SOURCE
#include "render_sarif.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "json_writer.h"
#include "paths.h"
#include "render_text.h"
#include "xalloc.h"

#define SRCROOT "SRCROOT"

typedef struct rule {
    const char *id, *name, *short_text, *full_text, *help;
    const char *tags[3];
} rule;

static const rule RULES[] = {
    { "self-deadlock", "SelfDeadlock",
      "A thread waits for a lock it already holds",
      "A thread took a non-recursive mutex, a write lock, a spinlock or a Python Lock that it already "
      "holds. It waits for itself forever (or the call fails with EDEADLK).",
      "The stacks show where the lock was taken first and where the same thread takes it again. "
      "Release the lock before calling code that takes it, split the function into a locked and an "
      "unlocked variant, or (only when re-entry is intended) make the lock recursive.",
      { "concurrency", "deadlock", NULL } },
    { "lock-order-inversion", "LockOrderInversion",
      "Locks taken in orders that form a cycle (potential deadlock)",
      "The run took locks in orders that form a cycle (ABBA): one thread held M1 while taking M2, "
      "another held M2 while taking M1. Run at the same time, each can take its first lock and wait "
      "forever for the other's. This run did not have to hang for the cycle to be found.",
      "Each edge of the cycle has two stacks: where the second lock was taken, and where the lock "
      "held at that moment had been taken. Pick one global order for these locks (for example by "
      "address or by account number) and take them in that order everywhere, or take them together "
      "(std::scoped_lock), or guard the whole group with one outer lock.",
      { "concurrency", "deadlock", NULL } },
    { "deadlock", "Deadlock",
      "The program hung: threads blocked on each other for good",
      "Threads waited for each other in a ring, or every thread was blocked (in a lock, semaphore, "
      "condition variable, barrier or join) for longer than --hang-after seconds. concwatch ended "
      "the program instead of letting it hang.",
      "Every blocked thread's stack is shown with what it waits for and who holds it. Look for a "
      "lock-order cycle, a condition signalled before anyone waited (lost wake-up), or a semaphore "
      "or queue item that is never posted.",
      { "concurrency", "deadlock", NULL } },
    { "data-race", "DataRace",
      "Two threads accessed the same variable at the same time without a common lock",
      "Two threads touched the same memory at the same time, at least one of them writing, and no "
      "lock or other synchronisation ordered the two accesses. The result depends on timing: lost "
      "updates, torn values, or stale reads.",
      "Both accesses are shown with their stacks and the locks each thread held. Protect every "
      "access to the variable with the same lock, or make it atomic.",
      { "concurrency", "data-race", NULL } },
    { "misuse", "LockMisuse",
      "The lock API was used wrongly",
      "A mutex unlocked by a thread that does not hold it or that is not locked at all, a thread "
      "ending (returning, pthread_exit, cancelled) while holding a lock, a locked mutex destroyed, "
      "or another error ThreadSanitizer reported.",
      "The stacks show the wrong call and where the lock was taken. Unlock only what the thread "
      "locked, release locks on every path out of a thread (cleanup handlers for cancellation), and "
      "destroy a lock only once nobody holds it.",
      { "concurrency", "correctness", NULL } },
};
#define NRULES (sizeof RULES / sizeof RULES[0])

/* The kinds in this report: the known ones, then any other in order of appearance. */
typedef struct rule_set {
    const char **ids;
    size_t n;
} rule_set;

static void rule_set_build(rule_set *rs, const cw_finding_list *list)
{
    rs->ids = NULL;
    rs->n = 0;
    for (size_t i = 0; i < NRULES; i++)
        *(const char **)cw_array_push(&rs->ids, &rs->n, sizeof(char *)) = RULES[i].id;
    for (size_t i = 0; i < list->n; i++) {
        const char *kind = list->items[i].kind ? list->items[i].kind : "unknown";
        size_t k = 0;
        while (k < rs->n && strcmp(rs->ids[k], kind) != 0)
            k++;
        if (k == rs->n)
            *(const char **)cw_array_push(&rs->ids, &rs->n, sizeof(char *)) = kind;
    }
}

static size_t rule_index(const rule_set *rs, const char *kind)
{
    kind = kind ? kind : "unknown";
    for (size_t k = 0; k < rs->n; k++)
        if (strcmp(rs->ids[k], kind) == 0)
            return k;
    return 0;
}

static void key_string(cw_json *w, const char *key, const char *value)
{
    cw_json_key(w, key);
    cw_json_string(w, value);
}

/* A SARIF "message" object. */
static void key_message(cw_json *w, const char *key, const char *text)
{
    cw_json_key(w, key);
    cw_json_begin_object(w);
    key_string(w, "text", text ? text : "");
    cw_json_end_object(w);
}

/* Percent-encoding of a path for a URI: RFC 3986 unreserved characters and
   '/' stay, everything else (spaces, '%', '#', non-ASCII bytes) is %XX. */
static char *uri_path(const char *path)
{
    size_t len = strlen(path);
    char *out = cw_xmalloc(len * 3 + 1);
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (isalnum(*p) || strchr("-._~/", *p)) {
            out[n++] = (char)*p;
        } else {
            static const char hex[] = "0123456789ABCDEF";
            out[n++] = '%';
            out[n++] = hex[*p >> 4];
            out[n++] = hex[*p & 15];
        }
    }
    out[n] = '\0';
    return out;
}

/* "file:///abs/dir/" for a directory. */
static char *directory_uri(const char *dir)
{
    char *enc = uri_path(dir);
    char *out = NULL;
    size_t len = strlen(enc);
    if (asprintf(&out, "file://%s%s", enc, len && enc[len - 1] == '/' ? "" : "/") < 0)
        out = NULL;
    free(enc);
    return out;
}

static void artifact_location(cw_json *w, const char *file, const cw_run_info *run)
{
    char *abs = cw_absolute_path(file, run->cwd ? run->cwd : run->base_dir);
    const char *path = abs ? abs : file;
    const char *rel = cw_display_path(path, run->base_dir);
    cw_json_key(w, "artifactLocation");
    cw_json_begin_object(w);
    char *enc = uri_path(rel);
    if (rel != path || path[0] != '/') {
        key_string(w, "uri", enc);
        if (rel != path)
            key_string(w, "uriBaseId", SRCROOT);
    } else {
        char *uri = NULL;
        if (asprintf(&uri, "file://%s", enc) < 0)
            uri = NULL;
        key_string(w, "uri", uri);
        free(uri);
    }
    free(enc);
    free(abs);
    cw_json_end_object(w);
}

/* What a frame is, in words: "transfer (abba+0x1193)". */
static char *frame_text(const cw_frame *fr)
{
    char *out = NULL;
    const char *fn = fr->function ? fr->function : "<unknown>";
    int rc = fr->is_python || !fr->module
                 ? asprintf(&out, "%s", fn)
                 : asprintf(&out, "%s (%s+0x%" PRIx64 ")%s", fn, cw_basename(fr->module), fr->vaddr,
                            fr->is_inlined ? " (inlined)" : "");
    return rc < 0 ? NULL : out;
}

/* The members of a SARIF location object for a frame, with a message (NULL:
   the frame in words). */
static void location_members(cw_json *w, const cw_frame *fr, const char *message, const cw_run_info *run)
{
    if (fr->file) {
        cw_json_key(w, "physicalLocation");
        cw_json_begin_object(w);
        artifact_location(w, fr->file, run);
        if (fr->line > 0) {
            cw_json_key(w, "region");
            cw_json_begin_object(w);
            cw_json_key(w, "startLine");
            cw_json_int(w, fr->line);
            cw_json_end_object(w);
        }
        cw_json_end_object(w);
    }
    if (fr->function) {
        cw_json_key(w, "logicalLocations");
        cw_json_begin_array(w);
        cw_json_begin_object(w);
        key_string(w, "name", fr->function);
        key_string(w, "kind", "function");
        cw_json_end_object(w);
        cw_json_end_array(w);
    }
    if (message) {
        key_message(w, "message", message);
    } else {
        char *text = frame_text(fr);
        key_message(w, "message", text);
        free(text);
    }
}

static void location(cw_json *w, const cw_frame *fr, const char *message, const cw_run_info *run)
{
    cw_json_begin_object(w);
    location_members(w, fr, message, run);
    cw_json_end_object(w);
}

/* The title a stack gets in the text report, without its colon. */
static char *stack_title(const cw_stack *s)
{
    char *out = NULL;
    const char *role = s->role && s->role[0] ? s->role : "stack";
    if (s->thread && s->thread[0])
        return asprintf(&out, "%s: %s", s->thread, role) < 0 ? NULL : out;
    return cw_xstrdup(role);
}

static void write_stacks(cw_json *w, const cw_finding *f, const cw_run_info *run)
{
    cw_json_key(w, "stacks");
    cw_json_begin_array(w);
    for (size_t s = 0; s < f->nstacks; s++) {
        const cw_stack *st = &f->stacks[s];
        char *title = stack_title(st);
        cw_json_begin_object(w);
        key_message(w, "message", title);
        cw_json_key(w, "frames");
        cw_json_begin_array(w);
        for (size_t i = 0; i < st->nframes; i++) {
            const cw_frame *fr = &st->frames[i];
            cw_json_begin_object(w);
            cw_json_key(w, "location");
            location(w, fr, NULL, run);
            if (fr->module && !fr->is_python)
                key_string(w, "module", fr->module);
            cw_json_end_object(w);
        }
        cw_json_end_array(w);
        cw_json_end_object(w);
        free(title);
    }
    cw_json_end_array(w);
}

/* One code flow per stack, outermost call first: how execution got there. */
static void write_code_flows(cw_json *w, const cw_finding *f, const cw_run_info *run)
{
    cw_json_key(w, "codeFlows");
    cw_json_begin_array(w);
    for (size_t s = 0; s < f->nstacks; s++) {
        const cw_stack *st = &f->stacks[s];
        if (st->nframes == 0)
            continue;
        char *title = stack_title(st);
        cw_json_begin_object(w);
        key_message(w, "message", title);
        cw_json_key(w, "threadFlows");
        cw_json_begin_array(w);
        cw_json_begin_object(w);
        if (st->thread && st->thread[0])
            key_string(w, "id", st->thread);
        key_message(w, "message", title);
        cw_json_key(w, "locations");
        cw_json_begin_array(w);
        for (size_t i = st->nframes; i-- > 0;) {
            cw_json_begin_object(w);
            cw_json_key(w, "location");
            location(w, &st->frames[i], i == 0 ? title : NULL, run);
            cw_json_key(w, "nestingLevel");
            cw_json_int(w, (long long)(st->nframes - 1 - i));
            cw_json_end_object(w);
        }
        cw_json_end_array(w);
        cw_json_end_object(w);
        cw_json_end_array(w);
        cw_json_end_object(w);
        free(title);
    }
    cw_json_end_array(w);
}

/* Where each lock was created / first used: its first frame of user code. */
static void write_related(cw_json *w, const cw_finding *f, const cw_run_info *run)
{
    cw_json_key(w, "relatedLocations");
    cw_json_begin_array(w);
    for (size_t i = 0; i < f->nlocks; i++) {
        const cw_lock *l = &f->locks[i];
        const cw_frame *fr = cw_first_user_frame(l->frames, l->nframes);
        if (!fr && l->nframes)
            fr = &l->frames[0];
        if (!fr)
            continue;
        char *text = NULL;
        if (asprintf(&text, "%s %s%s%s%s %s here", l->type ? l->type : "lock", l->id ? l->id : "?",
                     l->name ? " `" : "", l->name ? l->name : "", l->name ? "`" : "",
                     l->how ? l->how : "created") < 0)
            text = NULL;
        cw_json_begin_object(w);
        cw_json_key(w, "id");
        cw_json_int(w, (long long)i);
        location_members(w, fr, text, run);
        cw_json_end_object(w);
        free(text);
    }
    cw_json_end_array(w);
}

/* The message with the locks' names after it. */
static char *result_message(const cw_finding *f)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        return cw_xstrdup(f->message ? f->message : f->kind);
    fputs(f->message && f->message[0] ? f->message : (f->kind ? f->kind : "finding"), m);
    bool any = false;
    for (size_t i = 0; i < f->nlocks; i++) {
        if (!f->locks[i].description)
            continue;
        fprintf(m, "%s%s is %s", any ? "; " : ". ", f->locks[i].id ? f->locks[i].id : "?",
                f->locks[i].description);
        any = true;
    }
    if (any)
        fputc('.', m);
    fclose(m);
    return text;
}

static void write_properties(cw_json *w, const cw_finding *f)
{
    cw_json_key(w, "properties");
    cw_json_begin_object(w);
    if (f->pid > 0) {
        cw_json_key(w, "pid");
        cw_json_int(w, f->pid);
    }
    if (f->runs > 0) {
        cw_json_key(w, "runs");
        cw_json_int(w, (long long)f->runs);
        cw_json_key(w, "processes");
        cw_json_int(w, (long long)f->processes);
    }
    cw_json_key(w, "notes");
    cw_json_begin_array(w);
    for (size_t i = 0; i < f->nnotes; i++)
        cw_json_string(w, f->notes[i]);
    cw_json_end_array(w);
    cw_json_key(w, "locks");
    cw_json_begin_array(w);
    for (size_t i = 0; i < f->nlocks; i++) {
        cw_json_begin_object(w);
        key_string(w, "id", f->locks[i].id);
        key_string(w, "type", f->locks[i].type);
        key_string(w, "name", f->locks[i].name);
        key_string(w, "description", f->locks[i].description);
        cw_json_end_object(w);
    }
    cw_json_end_array(w);
    cw_json_end_object(w);
}

static void write_result(cw_json *w, const cw_finding *f, const rule_set *rs, const cw_run_info *run)
{
    cw_json_begin_object(w);
    key_string(w, "ruleId", f->kind ? f->kind : "unknown");
    cw_json_key(w, "ruleIndex");
    cw_json_int(w, (long long)rule_index(rs, f->kind));
    key_string(w, "level", "error");
    char *message = result_message(f);
    key_message(w, "message", message);
    free(message);
    const cw_frame *summary = cw_summary_frame(f);
    cw_json_key(w, "locations");
    cw_json_begin_array(w);
    if (summary)
        location(w, summary, NULL, run);
    cw_json_end_array(w);
    char fp[CW_FINGERPRINT_LEN + 1];
    cw_finding_fingerprint(f, fp);
    cw_json_key(w, "partialFingerprints");
    cw_json_begin_object(w);
    key_string(w, "concwatchFinding/v1", fp);
    cw_json_end_object(w);
    write_stacks(w, f, run);
    write_code_flows(w, f, run);
    write_related(w, f, run);
    write_properties(w, f);
    cw_json_end_object(w);
}

static const rule *known_rule(const char *id)
{
    for (size_t i = 0; i < NRULES; i++)
        if (strcmp(RULES[i].id, id) == 0)
            return &RULES[i];
    return NULL;
}

static void write_rule(cw_json *w, const char *id)
{
    const rule *r = known_rule(id);
    cw_json_begin_object(w);
    key_string(w, "id", id);
    if (r)
        key_string(w, "name", r->name);
    key_message(w, "shortDescription", r ? r->short_text : id);
    key_message(w, "fullDescription", r ? r->full_text : id);
    cw_json_key(w, "help");
    cw_json_begin_object(w);
    key_string(w, "text", r ? r->help : "See the finding's stacks.");
    cw_json_end_object(w);
    cw_json_key(w, "defaultConfiguration");
    cw_json_begin_object(w);
    key_string(w, "level", "error");
    cw_json_end_object(w);
    cw_json_key(w, "properties");
    cw_json_begin_object(w);
    cw_json_key(w, "tags");
    cw_json_begin_array(w);
    for (size_t i = 0; r && i < 3 && r->tags[i]; i++)
        cw_json_string(w, r->tags[i]);
    cw_json_end_array(w);
    key_string(w, "precision", "high");
    key_string(w, "problem.severity", "error");
    cw_json_end_object(w);
    cw_json_end_object(w);
}

static void write_invocation(cw_json *w, const cw_run_info *run)
{
    cw_json_key(w, "invocations");
    cw_json_begin_array(w);
    cw_json_begin_object(w);
    cw_json_key(w, "executionSuccessful");
    cw_json_bool(w, true);
    if (run->nmerged == 0) {
        cw_json_key(w, "arguments");
        cw_json_begin_array(w);
        for (int i = 0; i < run->ncommand; i++)
            cw_json_string(w, run->command[i]);
        cw_json_end_array(w);
        /* Not exitCode: that would be concwatch's own, this is the program's. */
        cw_json_key(w, "properties");
        cw_json_begin_object(w);
        cw_json_key(w, "programExitStatus");
        cw_json_int(w, run->exit_status);
        cw_json_end_object(w);
    }
    const char *cwd = run->cwd ? run->cwd : run->base_dir;
    if (cwd && cwd[0] == '/') {
        char *uri = directory_uri(cwd);
        cw_json_key(w, "workingDirectory");
        cw_json_begin_object(w);
        key_string(w, "uri", uri);
        cw_json_end_object(w);
        free(uri);
    }
    cw_json_end_object(w);
    cw_json_end_array(w);
}

void cw_render_sarif(FILE *out, const cw_finding_list *list, const cw_run_info *run)
{
    rule_set rs;
    rule_set_build(&rs, list);
    cw_json w;
    cw_json_init(&w, out);
    cw_json_begin_object(&w);
    key_string(&w, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    key_string(&w, "version", "2.1.0");
    cw_json_key(&w, "runs");
    cw_json_begin_array(&w);
    cw_json_begin_object(&w);
    cw_json_key(&w, "tool");
    cw_json_begin_object(&w);
    cw_json_key(&w, "driver");
    cw_json_begin_object(&w);
    key_string(&w, "name", "concwatch");
    key_string(&w, "version", run->version);
    key_string(&w, "semanticVersion", run->version);
    cw_json_key(&w, "rules");
    cw_json_begin_array(&w);
    for (size_t i = 0; i < rs.n; i++)
        write_rule(&w, rs.ids[i]);
    cw_json_end_array(&w);
    cw_json_end_object(&w);
    cw_json_end_object(&w);
    write_invocation(&w, run);
    if (run->base_dir && run->base_dir[0] == '/') {
        char *uri = directory_uri(run->base_dir);
        cw_json_key(&w, "originalUriBaseIds");
        cw_json_begin_object(&w);
        cw_json_key(&w, SRCROOT);
        cw_json_begin_object(&w);
        key_string(&w, "uri", uri);
        cw_json_end_object(&w);
        cw_json_end_object(&w);
        free(uri);
    }
    cw_json_key(&w, "results");
    cw_json_begin_array(&w);
    for (size_t i = 0; i < list->n; i++)
        write_result(&w, &list->items[i], &rs, run);
    cw_json_end_array(&w);
    cw_json_end_object(&w);
    cw_json_end_array(&w);
    cw_json_end_object(&w);
    cw_json_finish(&w);
    free(rs.ids);
}

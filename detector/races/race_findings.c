#define _GNU_SOURCE
#include "race_findings.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "watch_backend.h"
#include "events/lock_events.h"
#include "events/lock_kind.h"
#include "events/record_writer.h"

typedef struct lock_ids {
    uintptr_t addr[2 * CW_MAX_HELD_COPY];
    int n;
} lock_ids;

static int lock_id(lock_ids *ids, uintptr_t addr)
{
    for (int i = 0; i < ids->n; i++)
        if (ids->addr[i] == addr)
            return i + 1;
    ids->addr[ids->n] = addr;
    return ++ids->n;
}

static void describe_held(const cw_race_access *a, lock_ids *ids, char *buf, size_t size)
{
    if (a->nheld == 0) {
        snprintf(buf, size, "holding no lock");
        return;
    }
    size_t len = (size_t)snprintf(buf, size, "holding");
    for (int i = 0; i < a->nheld && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s %s%s M%d", i ? "," : "",
                                cw_lock_kind_name(a->held[i].kind), a->held[i].read ? " (read)" : "",
                                lock_id(ids, a->held[i].addr));
}

/* The definition's file as the symbolizer shows frames: relative to the
 * current directory when under it. */
static const char *display_path(const char *file)
{
    static char cwd[PATH_MAX];
    if (!file || file[0] != '/' || !getcwd(cwd, sizeof cwd))
        return file;
    size_t n = strlen(cwd);
    if (n > 1 && strncmp(file, cwd, n) == 0 && file[n] == '/')
        return file + n + 1;
    return file;
}

static const char *how(const cw_race_access *a)
{
    return a->write ? "written" : "read";
}

void cw_race_report(const cw_watch *w, const cw_race_access *a, const cw_race_access *b, cw_race_proof proof)
{
    const cw_race_var *c = &cw_vars.v[w->var];
    const cw_var_state *vs = &cw_vstate[w->var];
    char ta[16], tb[16];
    cw_thread_label(a->thread, ta, sizeof ta);
    cw_thread_label(b->thread, tb, sizeof tb);
    char where[PATH_MAX + 64] = "";
    if (c->decl_file)
        snprintf(where, sizeof where, ", defined at %s:%d", display_path(c->decl_file), c->decl_line);
    char part[64] = "";
    if (c->nwords > 1 || w->len != c->size)
        snprintf(part, sizeof part, ", bytes %llu-%llu", (unsigned long long)(w->addr - c->addr),
                 (unsigned long long)(w->addr - c->addr + w->len - 1));
    const char *when = proof == CW_PROOF_PAUSE ? "at the same time" : "with nothing ordering the two";
    char what[PATH_MAX + 256];
    if (vs->origin == CW_ORIGIN_ARG)
        snprintf(what, sizeof what, "the object a thread was started with (pthread_create's argument, at %#lx), byte %llu",
                 (unsigned long)c->addr, (unsigned long long)(w->addr - c->addr));
    else if (vs->origin == CW_ORIGIN_POINTEE)
        snprintf(what, sizeof what, "`%s` (a heap block of %llu bytes at %#lx%s)", c->name,
                 (unsigned long long)c->size, (unsigned long)c->addr, part);
    else
        snprintf(what, sizeof what, "`%s` (%llu bytes%s%s)", c->name, (unsigned long long)c->size, part, where);
    cw_record r;
    if (cw_record_begin(&r, "data-race", "data race on %s: %s by %s and %s by %s %s, with no lock in common", what,
                        how(a), ta, how(b), tb, when) != 0)
        return;
    lock_ids ids = { .n = 0 };
    char held_a[256], held_b[256], role[512];
    describe_held(a, &ids, held_a, sizeof held_a);
    describe_held(b, &ids, held_b, sizeof held_b);
    snprintf(role, sizeof role, "%s `%s` (%s)", a->write ? "writes" : "reads", c->name, held_a);
    cw_record_stack_pcs(&r, ta, a->pcs, (size_t)a->npcs, a->pc_exact, role);
    snprintf(role, sizeof role, "%s `%s` %s(%s)", b->write ? "writes" : "reads", c->name,
             proof == CW_PROOF_PAUSE ? "at the same time " : "", held_b);
    cw_record_stack_pcs(&r, tb, b->pcs, (size_t)b->npcs, b->pc_exact, role);
    for (int k = 0; k < ids.n; k++) {
        const cw_race_access *who = a;
        int h = -1;
        for (int i = 0; i < a->nheld && h < 0; i++)
            if (a->held[i].addr == ids.addr[k])
                h = i;
        for (int i = 0; i < b->nheld && h < 0; i++)
            if (b->held[i].addr == ids.addr[k])
                who = b, h = i;
        if (h < 0)
            continue;
        char id[16], taken[64];
        snprintf(id, sizeof id, "M%d", k + 1);
        snprintf(taken, sizeof taken, "taken by %s", who == a ? ta : tb);
        cw_record_lock(&r, id, cw_lock_kind_name(who->held[h].kind), taken, who->held[h].stack, who->held[h].addr);
    }
    if (vs->origin != CW_ORIGIN_GLOBAL && vs->passed_stack) {
        char by[16];
        cw_thread_label(vs->passed_by, by, sizeof by);
        if (vs->origin == CW_ORIGIN_ARG)
            cw_record_stack(&r, by, vs->passed_stack, "passed the object to a new thread here (pthread_create's argument)");
    }
    if (vs->origin == CW_ORIGIN_POINTEE && vs->via < cw_vars.n)
        cw_record_note(&r, "the block is the one `%s` points to", cw_vars.v[vs->via].name);
    const char *method = cw_backend ? cw_backend->name : "watchpoints";
    if (proof == CW_PROOF_PAUSE)
        cw_record_note(&r, "found by sampling with %s: %s was held still right after its %s "
                           "and %s %s the variable meanwhile, so nothing ordered the two accesses",
                       method, ta, a->write ? "write" : "read", tb, b->write ? "wrote" : "read");
    else
        cw_record_note(&r, "found by sampling with %s: no synchronisation the program did (locks, semaphores, "
                           "conditions, barriers, thread start and join) orders %s's %s before %s's %s",
                       method, ta, a->write ? "write" : "read", tb, b->write ? "write" : "read");
    cw_record_end(&r);
}

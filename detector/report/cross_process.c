/* Cross-process lock-order cycles; see cross_process.h. */
#define _GNU_SOURCE
#include "cross_process.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finding_reader.h"
#include "report_files.h"
#include "xalloc.h"

#define MAX_CYCLE 8
#define MAX_STEPS 100000

/* One published edge: the x-edge record as the reader parsed it. */
typedef struct xedge {
    uint64_t from, to;
    const cw_finding *record;     /* locks M1 (from), M2 (to); stacks acquiring, holding */
} xedge;

typedef struct graph {
    cw_finding_list records;
    xedge *edges;
    size_t n;
    uint64_t *reported;           /* sorted node sets, MAX_CYCLE each, 0-padded */
    size_t nreported;
} graph;

static size_t read_file(const char *text, size_t len, long pid, void *ctx)
{
    graph *g = ctx;
    return pid ? cw_parse_records(text, len, pid, &g->records) : 0;
}

static const cw_lock *lock_of(const cw_finding *f, const char *id)
{
    for (size_t i = 0; i < f->nlocks; i++)
        if (f->locks[i].id && strcmp(f->locks[i].id, id) == 0)
            return &f->locks[i];
    return NULL;
}

static const cw_stack *stack_of(const cw_finding *f, const char *role)
{
    for (size_t i = 0; i < f->nstacks; i++)
        if (f->stacks[i].role && strcmp(f->stacks[i].role, role) == 0)
            return &f->stacks[i];
    return NULL;
}

static void copy_frames(const cw_frame *in, size_t n, cw_frame **out, size_t *nout)
{
    *out = n ? cw_xcalloc(n, sizeof **out) : NULL;
    *nout = n;
    for (size_t i = 0; i < n; i++) {
        (*out)[i] = in[i];
        (*out)[i].module = in[i].module ? cw_xstrdup(in[i].module) : NULL;
        (*out)[i].function = in[i].function ? cw_xstrdup(in[i].function) : NULL;
        (*out)[i].file = in[i].file ? cw_xstrdup(in[i].file) : NULL;
    }
}

/* ---- the finding -------------------------------------------------------- */

static bool set_reported(graph *g, const xedge *const *cyc, size_t n)
{
    uint64_t set[MAX_CYCLE] = { 0 };
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && set[j - 1] > cyc[i]->from; j--)
            set[j] = set[j - 1];
        set[j] = cyc[i]->from;
    }
    for (size_t i = 0; i < g->nreported; i++)
        if (memcmp(&g->reported[i * MAX_CYCLE], set, sizeof set) == 0)
            return true;
    g->reported = cw_xreallocarray(g->reported, (g->nreported + 1) * MAX_CYCLE, sizeof *g->reported);
    memcpy(&g->reported[g->nreported++ * MAX_CYCLE], set, sizeof set);
    return false;
}

static void add_finding(graph *g, const xedge *const *cyc, size_t n, cw_finding_list *out)
{
    if (set_reported(g, cyc, n))
        return;
    cw_finding f = { .pid = cyc[0]->record->pid };
    f.kind = cw_xstrdup("lock-order-inversion");
    char path[256] = "", procs[256] = "";
    size_t pl = 0, ql = 0;
    for (size_t i = 0; i < n; i++) {
        pl += (size_t)snprintf(path + pl, sizeof path - pl, "M%zu -> ", i + 1);
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= cyc[j]->record->pid == cyc[i]->record->pid;
        if (!seen && ql < sizeof procs)
            ql += (size_t)snprintf(procs + ql, sizeof procs - ql, "%s%ld", ql ? ", " : "", cyc[i]->record->pid);
    }
    if (pl < sizeof path)
        snprintf(path + pl, sizeof path - pl, "M1");
    f.message = cw_xasprintf("cycle %s in the lock order of processes %s (locks shared between processes)", path,
                             procs);
    f.notes = cw_xcalloc(1, sizeof *f.notes);
    f.nnotes = 1;
    f.notes[0] = cw_xstrdup("each process took these shared locks in a different order (a multiprocessing.Lock, a "
                            "named or process-shared semaphore, a PTHREAD_PROCESS_SHARED mutex); no single process "
                            "closed the cycle, but processes running these paths at once deadlock");
    f.locks = cw_xcalloc(n, sizeof *f.locks);
    f.nlocks = n;
    for (size_t i = 0; i < n; i++) {
        const cw_lock *l = lock_of(cyc[i]->record, "M1");
        f.locks[i].id = cw_xasprintf("M%zu", i + 1);
        f.locks[i].type = cw_xstrdup(l && l->type ? l->type : "lock");
        f.locks[i].how = cw_xstrdup(l && l->how ? l->how : "first used");
        if (l) {
            copy_frames(l->frames, l->nframes, &f.locks[i].frames, &f.locks[i].nframes);
            f.locks[i].addr = l->addr;
            f.locks[i].vaddr = l->vaddr;
            if (l->module)
                f.locks[i].module = cw_xstrdup(l->module);
            if (l->name)
                f.locks[i].name = cw_xstrdup(l->name);
        }
    }
    f.stacks = cw_xcalloc(2 * n, sizeof *f.stacks);
    for (size_t i = 0; i < n; i++) {
        const cw_finding *r = cyc[i]->record;
        const cw_stack *acq = stack_of(r, "acquiring"), *held = stack_of(r, "holding");
        const char *thread = acq && acq->thread ? acq->thread : "?";
        size_t to = (i + 1) % n + 1, from = i + 1;
        cw_stack *s = &f.stacks[f.nstacks++];
        s->thread = cw_xstrdup(thread);
        s->role = cw_xasprintf("%s M%zu acquired here while holding %s M%zu in thread %s of process %ld",
                               f.locks[to - 1].type, to, f.locks[from - 1].type, from, thread, r->pid);
        if (acq)
            copy_frames(acq->frames, acq->nframes, &s->frames, &s->nframes);
        s = &f.stacks[f.nstacks++];
        s->thread = cw_xstrdup(thread);
        s->role = cw_xasprintf("M%zu previously acquired here by the same thread, %s of process %ld", from,
                               thread, r->pid);
        if (held)
            copy_frames(held->frames, held->nframes, &s->frames, &s->nframes);
    }
    *(cw_finding *)cw_array_push(&out->items, &out->n, sizeof f) = f;
}

/* ---- cycles --------------------------------------------------------------- */

/* Simple cycles through edge `start`, depth first over the published edges;
 * those taken in at least two processes become findings. */
static size_t cycles_through(graph *g, size_t start, cw_finding_list *out)
{
    const xedge *path[MAX_CYCLE];
    size_t next[MAX_CYCLE];
    size_t depth = 1, found = 0, steps = 0;
    path[0] = &g->edges[start];
    next[0] = 0;
    while (depth > 0 && steps++ < MAX_STEPS) {
        if (next[depth - 1] >= g->n) {
            depth--;
            continue;
        }
        const xedge *e = &g->edges[next[depth - 1]++];
        if (e->from != path[depth - 1]->to || e == path[0])
            continue;
        bool on_path = false;
        for (size_t i = 0; i < depth; i++)
            on_path |= path[i]->from == e->to && e->to != path[0]->from;
        if (on_path)
            continue;
        if (e->to == path[0]->from) {
            path[depth] = e;
            bool several = false;
            for (size_t i = 1; i <= depth; i++)
                several |= path[i]->record->pid != path[0]->record->pid;
            /* Reported once, from its lowest edge, so each cycle is found once. */
            bool lowest = true;
            for (size_t i = 1; i <= depth; i++)
                lowest &= path[i] >= path[0];
            if (several && lowest) {
                size_t before = out->n;
                add_finding(g, path, depth + 1, out);
                found += out->n - before;
            }
            continue;
        }
        if (depth + 1 < MAX_CYCLE) {
            path[depth] = e;
            next[depth] = 0;
            depth++;
        }
    }
    return found;
}

size_t cw_cross_process_cycles(const char *dir, cw_finding_list *out)
{
    graph g = { 0 };
    if (cw_for_each_report_file(dir, CW_XEDGES_FILE_PREFIX, read_file, &g) <= 0) {
        cw_finding_list_free(&g.records);
        return 0;
    }
    g.edges = cw_xcalloc(g.records.n, sizeof *g.edges);
    for (size_t i = 0; i < g.records.n; i++) {
        const cw_finding *r = &g.records.items[i];
        unsigned long long from, to;
        if (!r->kind || strcmp(r->kind, "x-edge") != 0 || !r->message ||
            sscanf(r->message, "%llx %llx", &from, &to) != 2)
            continue;
        g.edges[g.n++] = (xedge){ from, to, r };
    }
    size_t found = 0;
    for (size_t i = 0; i < g.n; i++)
        found += cycles_through(&g, i, out);
    free(g.edges);
    free(g.reported);
    cw_finding_list_free(&g.records);
    return found;
}

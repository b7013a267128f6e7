/* Repeated findings; see dedupe.h. */
#include "dedupe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "xalloc.h"

static bool same_string(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool symbolized(const cw_frame *f)
{
    return f->function || f->file;
}

static bool same_frame(const cw_frame *a, const cw_frame *b)
{
    if (a->is_python != b->is_python || symbolized(a) != symbolized(b))
        return false;
    if (symbolized(a))
        return a->line == b->line && a->is_inlined == b->is_inlined &&
               same_string(a->function, b->function) && same_string(cw_basename(a->file), cw_basename(b->file));
    return a->vaddr == b->vaddr && same_string(a->module, b->module);
}

static bool same_frames(const cw_frame *a, size_t na, const cw_frame *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!same_frame(&a[i], &b[i]))
            return false;
    return true;
}

bool cw_same_finding(const cw_finding *a, const cw_finding *b)
{
    if (!same_string(a->kind, b->kind) || !same_string(a->message, b->message) ||
        a->nlocks != b->nlocks || a->nstacks != b->nstacks)
        return false;
    for (size_t i = 0; i < a->nlocks; i++) {
        const cw_lock *x = &a->locks[i], *y = &b->locks[i];
        if (!same_string(x->id, y->id) || !same_string(x->type, y->type) ||
            !same_frames(x->frames, x->nframes, y->frames, y->nframes))
            return false;
    }
    for (size_t i = 0; i < a->nstacks; i++) {
        const cw_stack *x = &a->stacks[i], *y = &b->stacks[i];
        if (!same_string(x->thread, y->thread) || !same_string(x->role, y->role) ||
            !same_frames(x->frames, x->nframes, y->frames, y->nframes))
            return false;
    }
    return true;
}

/* FNV-1a over the fields that cheaply tell most findings apart (consistent
   with cw_same_finding: equal findings hash equal). */
static uint64_t hash_bytes(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

uint64_t cw_finding_hash(const cw_finding *f)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    if (f->kind)
        h = hash_bytes(h, f->kind, strlen(f->kind));
    if (f->message)
        h = hash_bytes(h, f->message, strlen(f->message));
    for (size_t i = 0; i < f->nstacks; i++)
        for (size_t k = 0; k < f->stacks[i].nframes; k++) {
            const cw_frame *fr = &f->stacks[i].frames[k];
            if (symbolized(fr))
                h = hash_bytes(h, &fr->line, sizeof fr->line);
            else
                h = hash_bytes(h, &fr->vaddr, sizeof fr->vaddr);
        }
    return h;
}

/* cw_finding_list_filter() compacts as it goes, so the findings kept so far
   are list->items[0 .. nkept-1] whenever keep_first() is called. */
typedef struct dedupe_state {
    const cw_finding_list *list;
    uint64_t *hashes;          /* hashes[i]: of list->items[i], i < nkept */
    size_t nkept;
} dedupe_state;

static bool keep_first(const cw_finding *f, void *arg)
{
    dedupe_state *st = arg;
    uint64_t h = cw_finding_hash(f);
    for (size_t i = 0; i < st->nkept; i++)
        if (st->hashes[i] == h && cw_same_finding(&st->list->items[i], f)) {
            /* The same bug in another process (a pool's workers): one
             * finding, which names every process it was seen in. */
            cw_finding *kept = &st->list->items[i];
            bool known = f->pid == kept->pid;
            for (size_t k = 0; k < kept->nother_pids && !known; k++)
                known = kept->other_pids[k] == f->pid;
            if (!known && f->pid > 0)
                *(long *)cw_array_push(&kept->other_pids, &kept->nother_pids, sizeof(long)) = f->pid;
            return false;
        }
    st->hashes[st->nkept++] = h;
    return true;
}

size_t cw_finding_list_dedupe(cw_finding_list *list)
{
    if (list->n < 2)
        return 0;
    dedupe_state st = { .list = list };
    st.hashes = cw_xcalloc(list->n, sizeof *st.hashes);
    size_t removed = cw_finding_list_filter(list, keep_first, &st);
    free(st.hashes);
    return removed;
}

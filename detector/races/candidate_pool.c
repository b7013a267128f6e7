#define _GNU_SOURCE
#include "candidate_pool.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ARG_VARS 32
#define MAX_POINTEE_VARS 32
#define ARG_RING 64
#define FOLLOW_EVERY 20        /* drains between two looks at the pointers */

static struct {
    _Atomic uintptr_t arg;
    _Atomic uint32_t creator;
    _Atomic cw_stack_id stack;
} arg_ring[ARG_RING];
static _Atomic uint32_t arg_next;
static _Atomic uint32_t arg_published;  /* pushes completed (their tickets) */
static atomic_int args_full;            /* no more objects passed to threads are taken */
static cw_race_cell arg_cells[MAX_ARG_VARS][CW_RACE_ARG_CELLS];
static char arg_names[MAX_ARG_VARS][16];
static size_t narg_vars;
static size_t vars_capacity;
static char pointee_names[MAX_POINTEE_VARS][64];
static size_t npointee_vars;
static size_t nglobal_vars;            /* cw_vars.v[0..n): the executable's own variables */
static unsigned drains;

static uint64_t good_words(size_t v);

bool cw_candidates_init(void)
{
    uint64_t t_load = cw_now_ns();
    if (!cw_race_vars_load(&cw_vars))
        memset(&cw_vars, 0, sizeof cw_vars);   /* objects passed to threads may still come */
    cw_race_var *room = realloc(cw_vars.v, (cw_vars.n + MAX_ARG_VARS + MAX_POINTEE_VARS) * sizeof *cw_vars.v);
    if (!room)
        return false;
    cw_vars.v = room;
    vars_capacity = cw_vars.n + MAX_ARG_VARS + MAX_POINTEE_VARS;
    nglobal_vars = cw_vars.n;
    cw_race_debugf("race: %zu candidate variables in %s (%s), read in %llu us\n", cw_vars.n, cw_vars.module,
                   cw_vars.have_dwarf ? "with DWARF" : "no DWARF", (unsigned long long)(cw_now_ns() - t_load) / 1000);
    for (size_t v = 0; v < cw_vars.n; v++)
        cw_race_debugf("race:   `%s` %llu bytes, %llu cells (%u per %llu bytes), %s:%d\n", cw_vars.v[v].name,
                       (unsigned long long)cw_vars.v[v].size, (unsigned long long)cw_vars.v[v].nwords,
                       cw_vars.v[v].ncells, (unsigned long long)cw_vars.v[v].period,
                       cw_vars.v[v].decl_file ? cw_vars.v[v].decl_file : "?", cw_vars.v[v].decl_line);
    cw_var_state *vs = calloc(vars_capacity, sizeof *vs);
    if (!vs)
        return false;
    cw_vstate = vs;
    cw_nactive = cw_vars.n;
    for (size_t v = 0; v < cw_vars.n; v++)
        if (good_words(v) == 0)
            cw_candidates_retire(v);
    cw_candidates_drain();
    return true;
}

uint32_t cw_candidates_thread_arg(void *arg, uint32_t creator, cw_stack_id stack)
{
    if (!arg || atomic_load_explicit(&args_full, memory_order_relaxed))
        return 0;
    uint32_t i = atomic_fetch_add(&arg_next, 1) % ARG_RING;
    atomic_store(&arg_ring[i].creator, creator);
    atomic_store(&arg_ring[i].stack, stack);
    atomic_store_explicit(&arg_ring[i].arg, (uintptr_t)arg, memory_order_release);
    return atomic_fetch_add(&arg_published, 1) + 1;
}

/* Heap blocks that pointer variables lead to (a `struct stats *` global):
 * the block's cells from the pointee's type (DWARF), as many of them as the
 * block holds (malloc_usable_size).  Looked at again now and then: the
 * pointer may be set, or changed, after the start. */
static void follow_pointers(void)
{
    for (size_t p = 0; p < nglobal_vars && npointee_vars < MAX_POINTEE_VARS && cw_vars.n < vars_capacity; p++) {
        const cw_race_var *ptr = &cw_vars.v[p];
        if (!ptr->pointee_ncells)
            continue;
        uintptr_t block = *(const volatile uintptr_t *)ptr->addr;
        if (!block)
            continue;
        bool known = false;
        for (size_t k = nglobal_vars; k < cw_vars.n && !known; k++)
            known = cw_vars.v[k].addr == block;
        cw_race_var v;
        if (known || !cw_race_var_for_pointee(ptr, block, &v, pointee_names[npointee_vars], sizeof pointee_names[0]))
            continue;
        size_t k = cw_vars.n;
        cw_vars.v[k] = v;
        cw_vstate[k] = (cw_var_state){ .origin = CW_ORIGIN_POINTEE, .via = p };
        npointee_vars++;
        cw_vars.n = k + 1;
        cw_nactive++;
        cw_race_debugf("race: candidate `%s` at %#lx, %llu bytes, %llu cells (the heap block `%s` points to)\n", v.name,
                       (unsigned long)v.addr, (unsigned long long)v.size, (unsigned long long)v.nwords, ptr->name);
    }
}

uint32_t cw_candidates_drain(void)
{
    uint32_t published = atomic_load(&arg_published);
    if (!cw_vstate)
        return published;
    if (drains++ % FOLLOW_EVERY == 0)
        follow_pointers();
    for (unsigned i = 0; i < ARG_RING; i++) {
        uintptr_t a = atomic_exchange_explicit(&arg_ring[i].arg, 0, memory_order_acquire);
        if (!a || narg_vars >= MAX_ARG_VARS || cw_vars.n >= vars_capacity)
            continue;
        cw_race_var v;
        if (!cw_race_var_for_arg(a, &cw_vars, &v, arg_cells[narg_vars], arg_names[narg_vars], sizeof arg_names[0]))
            continue;
        size_t k = cw_vars.n;
        cw_vars.v[k] = v;
        cw_vstate[k] = (cw_var_state){ .origin = CW_ORIGIN_ARG, .passed_by = atomic_load(&arg_ring[i].creator),
                                       .passed_stack = atomic_load(&arg_ring[i].stack) };
        narg_vars++;
        cw_vars.n = k + 1;
        cw_nactive++;
        cw_race_debugf("race: candidate `%s` at %#lx, %llu bytes, %u cells (passed to a thread by T%u)\n", v.name,
                       (unsigned long)v.addr, (unsigned long long)v.size, v.ncells, cw_vstate[k].passed_by);
    }
    if (narg_vars >= MAX_ARG_VARS)
        atomic_store(&args_full, 1);
    return published;
}

/* A slot holds this word now. */
static bool held(size_t v, uint64_t word)
{
    for (unsigned s = 0; s < cw_nslots; s++) {
        const cw_watch *w = &cw_watches[s];
        if (atomic_load(&w->gen) && !atomic_load(&w->parked) && w->var == v && w->word == word)
            return true;
    }
    return false;
}

static bool bad_word(const cw_var_state *vs, uint64_t k)
{
    return k < 64 && ((vs->bad_words >> k) & 1);
}

/* The words of v that may still be watched. */
static uint64_t good_words(size_t v)
{
    const cw_race_var *c = &cw_vars.v[v];
    uint64_t bad = cw_vstate[v].bad_words;
    if (c->nwords < 64)
        bad &= (1ull << c->nwords) - 1;
    return c->nwords - (uint64_t)__builtin_popcountll(bad);
}

/* v's next word after its cursor that is neither bad nor held by a slot. */
static bool next_word(size_t v, uint64_t *word)
{
    const cw_race_var *c = &cw_vars.v[v];
    cw_var_state *vs = &cw_vstate[v];
    for (uint64_t tries = 0; tries < c->nwords && tries < 4096; tries++) {
        uint64_t k = (vs->cursor + tries) % c->nwords;
        if (bad_word(vs, k) || (vs->nassigned && held(v, k)))
            continue;
        vs->cursor = k + 1;
        *word = k;
        return true;
    }
    return false;
}

void cw_candidates_retire(size_t v)
{
    if (!cw_vstate[v].retired) {
        cw_vstate[v].retired = true;
        cw_nactive--;
    }
}

bool cw_candidates_all_fit(void)
{
    uint64_t words = 0;
    for (size_t v = 0; v < cw_vars.n && words <= cw_nslots; v++)
        if (!cw_vstate[v].retired)
            words += good_words(v);
    return words <= cw_nslots;
}

bool cw_candidates_choose(size_t *out, uint64_t *word, bool round_robin)
{
    for (;;) {
        bool found = false;
        uint64_t best = UINT64_MAX;
        for (size_t v = 0; v < cw_vars.n; v++) {
            cw_var_state *vs = &cw_vstate[v];
            if (vs->retired || (vs->nassigned && vs->nassigned >= good_words(v)))
                continue;
            uint64_t cls = round_robin                            ? 0
                         : __builtin_popcountll(vs->writers) >= 2 ? 0
                         : vs->turns == 0                         ? 1
                         : vs->written                            ? 2
                                                                  : 3;
            /* A variable no slot watches first; then more words of one
             * that a slot watches (a struct's fields side by side). */
            uint64_t rank = (vs->nassigned ? 1ull << 63 : 0) | (cls << 60) | ((vs->last_turn_ns >> 4) & ((1ull << 60) - 1));
            if (rank < best) {
                best = rank;
                *out = v;
                found = true;
            }
        }
        if (!found)
            return false;
        if (next_word(*out, word))
            return true;
        if (!cw_vstate[*out].nassigned)
            cw_candidates_retire(*out);   /* no word left to watch */
        else
            return false;
    }
}

void cw_candidates_after_fork_child(void)
{
    cw_vstate = NULL;
    memset(&cw_vars, 0, sizeof cw_vars);
    narg_vars = 0;
    atomic_store(&args_full, 0);
    npointee_vars = 0;
    nglobal_vars = 0;
    drains = 0;
    vars_capacity = 0;
}

#define _GNU_SOURCE
#include "freed_locks.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "lock_events.h"
#include "lock_pages.h"
#include "lock_table.h"
#include "record_writer.h"
#include "stacks/stack_capture.h"

#define MAX_LOCKS 64
#define MAX_SHOWN 8

typedef struct freed_lock {
    uintptr_t addr;
    cw_lock_kind kind;
    cw_thread *holder;          /* NULL: not locked (or by whom is not known) */
    cw_stack_id taken;          /* where the holder took it, 0 if unknown */
} freed_lock;

/* Who holds the lock at addr, as far as it can be told for certain: the
 * caller from its own held list; another thread from glibc's owner field,
 * only when that is a live thread of the program (the field of a lock whose
 * memory was reused without the shim seeing it is just data). */
static void find_holder(cw_thread *t, freed_lock *l)
{
    int i = cw_held_index(t, l->addr);
    if (i >= 0) {
        l->holder = t;
        l->taken = t->held[i].stack;
        if (l->kind == CW_KIND_NONE)
            l->kind = (cw_lock_kind)t->held[i].kind;
        return;
    }
    pid_t owner = 0;
    if (l->kind == CW_KIND_MUTEX) {
        const pthread_mutex_t *m = (const pthread_mutex_t *)l->addr;
        owner = m->__data.__lock != 0 ? m->__data.__owner : 0;
    } else if (l->kind == CW_KIND_RWLOCK) {
        owner = ((const pthread_rwlock_t *)l->addr)->__data.__cur_writer;
    }
    cw_thread *o = owner > 0 ? cw_thread_by_tid(owner) : NULL;
    if (!o)
        return;
    int k = cw_held_index(o, l->addr);   /* racy, as the hang watcher reads it */
    if (k < 0 && o != t)
        return;   /* glibc names it, the shim never saw it taken: not certain enough */
    l->holder = o;
    l->taken = k >= 0 && k < CW_MAX_HELD ? o->held[k].stack : 0;
}

static size_t add_candidate(freed_lock *locks, size_t n, uintptr_t addr, cw_lock_kind kind)
{
    for (size_t i = 0; i < n; i++)
        if (locks[i].addr == addr)
            return n;
    if (n == MAX_LOCKS)
        return n;
    locks[n] = (freed_lock){ .addr = addr, .kind = kind };
    return n + 1;
}

static void report(cw_thread *t, const freed_lock *locked, size_t n, const char *verb, uintptr_t pc)
{
    char self[16], holder[16];
    cw_thread_label(t->index, self, sizeof self);
    cw_thread_label(locked[0].holder->index, holder, sizeof holder);
    cw_record r;
    int rc = n > 1 ? cw_record_begin(&r, "misuse", "%s %s the memory of %zu locks while they are locked", self, verb,
                                     n)
             : locked[0].holder == t
                 ? cw_record_begin(&r, "misuse", "%s %s the memory of %s M1 while holding it", self, verb,
                                   cw_lock_kind_name(locked[0].kind))
                 : cw_record_begin(&r, "misuse", "%s %s the memory of %s M1 while %s holds it", self, verb,
                                   cw_lock_kind_name(locked[0].kind), holder);
    if (rc != 0)
        return;
    size_t shown = n < MAX_SHOWN ? n : MAX_SHOWN;
    for (size_t i = 0; i < shown; i++) {
        char id[16];
        snprintf(id, sizeof id, "M%zu", i + 1);
        cw_record_lock_at(&r, id, locked[i].kind, locked[i].addr, locked[i].taken);
    }
    cw_record_stack(&r, self, cw_capture_stack(pc), n > 1 ? "%s the memory of M1..M%zu here" : "%s the memory of M1 here",
                    verb, shown);
    for (size_t i = 0; i < shown; i++) {
        if (!locked[i].taken)
            continue;
        cw_thread_label(locked[i].holder->index, holder, sizeof holder);
        cw_record_stack(&r, holder, locked[i].taken, "locked M%zu here", i + 1);
    }
    cw_record_note(&r, "a lock ends with its memory: whoever holds it will unlock freed memory or never "
                       "unlock it, and a thread waiting for it may wait for ever; unlock (and destroy) it first");
    cw_record_end(&r);
}

void cw_memory_released(cw_thread *t, uintptr_t lo, uintptr_t hi, const char *verb, uintptr_t pc)
{
    freed_lock locks[MAX_LOCKS];
    size_t n = 0;
    for (uint32_t i = 0; i < t->nheld && i < CW_MAX_HELD; i++) {
        const cw_held_lock *h = &t->held[i];
        if (h->addr - lo < hi - lo && h->kind != CW_KIND_SEMAPHORE)
            n = add_candidate(locks, n, h->addr, (cw_lock_kind)h->kind);
    }
    uintptr_t found[MAX_LOCKS];
    size_t nfound = cw_lock_pages_find(lo, hi, found, MAX_LOCKS);
    for (size_t i = 0; i < nfound; i++) {
        cw_lock_slot *slot = cw_lock_table_find(found[i]);
        n = add_candidate(locks, n, found[i], slot ? (cw_lock_kind)atomic_load(&slot->kind) : CW_KIND_NONE);
    }
    if (n == 0)
        return;

    freed_lock locked[MAX_LOCKS];
    size_t nlocked = 0;
    for (size_t i = 0; i < n; i++) {
        find_holder(t, &locks[i]);
        if (locks[i].holder)
            locked[nlocked++] = locks[i];
    }
    if (nlocked > 0)
        report(t, locked, nlocked, verb, pc);
    for (size_t i = 0; i < n; i++)
        cw_lock_forgotten(t, locks[i].addr, locks[i].holder && locks[i].holder != t);
}

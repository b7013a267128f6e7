#define _GNU_SOURCE
#include "wait_objects.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include "lock_events.h"
#include "lock_table.h"
#include "object_table.h"
#include "record_writer.h"
#include "stacks/stack_capture.h"

/* ---- who waits on an object now ---------------------------------------- */

#define MAX_SHOWN 4

typedef struct waiter_query {
    uintptr_t addr;
    cw_lock_kind kind;
    const cw_thread *except;
    size_t n;                      /* every waiter found */
    cw_thread *shown[MAX_SHOWN];   /* the first ones */
    uint32_t tickets[64];          /* conditions: the first 64 waiters' tickets */
    size_t ntickets;
} waiter_query;

static void waiter_visit(cw_thread *t, void *arg)
{
    waiter_query *q = arg;
    if (t == q->except || atomic_load_explicit(&t->wait.addr, memory_order_acquire) != q->addr ||
        (atomic_load_explicit(&t->wait.kind, memory_order_relaxed) & ~CW_WAIT_TIMED) != (uint32_t)q->kind)
        return;
    /* A thread blocked in a condition's destroy is no waiter of it. */
    if (q->kind == CW_KIND_CONDVAR && !atomic_load_explicit(&t->wait.mutex, memory_order_relaxed))
        return;
    if (q->n < MAX_SHOWN)
        q->shown[q->n] = t;
    if (q->ntickets < sizeof q->tickets / sizeof q->tickets[0])
        q->tickets[q->ntickets++] = atomic_load_explicit(&t->wait.ticket, memory_order_relaxed);
    q->n++;
}

static void find_waiters(waiter_query *q, uintptr_t addr, cw_lock_kind kind, const cw_thread *except)
{
    *q = (waiter_query){ .addr = addr, .kind = kind, .except = except };
    cw_thread_for_each(waiter_visit, q);
}

/* ---- reports ------------------------------------------------------------ */

static const char *object_name(cw_lock_kind kind)
{
    return kind == CW_KIND_CONDVAR ? "condition variable" : cw_lock_kind_name(kind);
}

static bool first_report(cw_object_slot *slot, uint32_t flag)
{
    return !(atomic_fetch_or(&slot->flags, flag) & flag);
}

/* "T1, T2 and 3 more" */
static void waiter_labels(const waiter_query *q, char *buf, size_t size)
{
    size_t len = 0;
    size_t shown = q->n < MAX_SHOWN ? q->n : MAX_SHOWN;
    buf[0] = '\0';
    for (size_t i = 0; i < shown && len < size; i++) {
        char label[16];
        cw_thread_label(q->shown[i]->index, label, sizeof label);
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i == 0 ? "" : i + 1 == shown && q->n == shown ? " and " : ", ",
                                label);
    }
    if (q->n > shown && len < size)
        snprintf(buf + len, size - len, " and %zu more", q->n - shown);
}

/* The stacks of the waiters shown: where each entered its wait. */
static void record_waiter_stacks(cw_record *r, const waiter_query *q, const char *role)
{
    size_t shown = q->n < MAX_SHOWN ? q->n : MAX_SHOWN;
    for (size_t i = 0; i < shown; i++) {
        char label[16];
        cw_thread_label(q->shown[i]->index, label, sizeof label);
        cw_stack_id stack = atomic_load(&q->shown[i]->wait.stack);
        if (stack) {
            cw_record_stack(r, label, stack, "%s", role);
        } else {
            uintptr_t pc = atomic_load(&q->shown[i]->wait.pc);
            cw_record_stack_pcs(r, label, &pc, 1, 0, role);
        }
    }
}

/* "T0 destroys condition variable M1 while T1 waits on it". */
static void report_waiters(cw_thread *t, uintptr_t addr, cw_lock_kind kind, const char *verb,
                           const waiter_query *q, const char *wait_role, uintptr_t pc, const char *note)
{
    char self[16], who[128];
    cw_thread_label(t->index, self, sizeof self);
    waiter_labels(q, who, sizeof who);
    cw_record r;
    if (cw_record_begin(&r, "misuse", "%s %s %s M1 while %s %s %s it", self, verb, object_name(kind), who,
                        q->n == 1 ? "waits" : "wait", kind == CW_KIND_BARRIER ? "at" : "on") != 0)
        return;
    cw_record_lock_at(&r, "M1", kind, addr, 0);
    cw_record_stack(&r, self, cw_capture_stack(pc), "%s M1 here", verb);
    record_waiter_stacks(&r, q, wait_role);
    if (note)
        cw_record_note(&r, "%s", note);
    cw_record_end(&r);
}

/* ---- condition variables ------------------------------------------------ */

static void report_unheld_mutex(cw_thread *t, uintptr_t cond, uintptr_t mutex, pid_t owner_tid, uintptr_t pc)
{
    char self[16], owner[16];
    cw_thread_label(t->index, self, sizeof self);
    cw_stack_id owner_stack = cw_lock_owner(owner_tid, mutex, owner, sizeof owner);
    cw_record r;
    int rc = owner_tid == 0
        ? cw_record_begin(&r, "misuse", "%s waits on condition variable M1 with mutex M2, which is not locked", self)
        : cw_record_begin(&r, "misuse", "%s waits on condition variable M1 with mutex M2, which %s holds", self,
                          owner[0] ? owner : "another thread");
    if (rc != 0)
        return;
    cw_record_lock_at(&r, "M1", CW_KIND_CONDVAR, cond, 0);
    cw_record_lock_at(&r, "M2", CW_KIND_MUTEX, mutex, owner_stack);
    cw_record_stack(&r, self, cw_capture_stack(pc), "waits on M1 here");
    if (owner_stack)
        cw_record_stack(&r, owner, owner_stack, "locked M2 here");
    cw_record_note(&r, "the waiting thread must hold the mutex: the wait unlocks it, and only the mutex "
                       "makes checking the condition and starting to wait one step");
    cw_record_end(&r);
}

typedef struct mutex_query {
    uintptr_t cond, mutex;
    const cw_thread *except;
    cw_thread *found;
    uintptr_t other;
} mutex_query;

static void other_mutex_visit(cw_thread *t, void *arg)
{
    mutex_query *q = arg;
    if (q->found || t == q->except || atomic_load_explicit(&t->wait.addr, memory_order_acquire) != q->cond ||
        (atomic_load_explicit(&t->wait.kind, memory_order_relaxed) & ~CW_WAIT_TIMED) != CW_KIND_CONDVAR)
        return;
    uintptr_t m = atomic_load_explicit(&t->wait.mutex, memory_order_relaxed);
    if (m && m != q->mutex) {
        q->found = t;
        q->other = m;
    }
}

static void report_two_mutexes(cw_thread *t, uintptr_t cond, uintptr_t mutex, const mutex_query *q,
                               uintptr_t pc)
{
    char self[16], other[16];
    cw_thread_label(t->index, self, sizeof self);
    cw_thread_label(q->found->index, other, sizeof other);
    cw_record r;
    if (cw_record_begin(&r, "misuse", "%s waits on condition variable M1 with mutex M2 while %s waits on it with "
                        "mutex M3", self, other) != 0)
        return;
    cw_record_lock_at(&r, "M1", CW_KIND_CONDVAR, cond, 0);
    cw_record_lock_at(&r, "M2", CW_KIND_MUTEX, mutex, 0);
    cw_record_lock_at(&r, "M3", CW_KIND_MUTEX, q->other, 0);
    cw_record_stack(&r, self, cw_capture_stack(pc), "waits on M1 with M2 here");
    cw_stack_id stack = atomic_load(&q->found->wait.stack);
    if (stack)
        cw_record_stack(&r, other, stack, "waits on M1 with M3 here");
    cw_record_note(&r, "while threads wait on a condition variable, POSIX binds it to the one mutex they use: "
                       "waiting on it with another mutex at the same time is undefined");
    cw_record_end(&r);
}

void cw_cond_wait_begin(cw_thread *t, uintptr_t cond, uintptr_t mutex, pid_t owner_tid, bool timed, uintptr_t pc)
{
    (void)timed;
    cw_object_slot *slot = cw_object_table_get(cond);
    if (owner_tid != t->tid && slot && first_report(slot, CW_OBJECT_REPORTED_UNHELD_WAIT))
        report_unheld_mutex(t, cond, mutex, owner_tid, pc);
    atomic_store_explicit(&t->wait.mutex, mutex, memory_order_relaxed);
    atomic_store_explicit(&t->wait.ticket, slot ? atomic_load(&slot->wakes) : 0, memory_order_relaxed);
    atomic_store_explicit(&t->wait.stack, cw_thread_site_stack(t, pc), memory_order_relaxed);
    if (!slot)
        return;
    if (atomic_fetch_add(&slot->waiters, 1) == 0) {
        atomic_store(&slot->bound_mutex, mutex);
        return;
    }
    uintptr_t bound = atomic_load(&slot->bound_mutex);
    if (bound == mutex || bound == 0)
        return;
    /* Another mutex was in use: is a thread waiting with it now? */
    mutex_query q = { .cond = cond, .mutex = mutex, .except = t };
    cw_thread_for_each(other_mutex_visit, &q);
    if (q.found && first_report(slot, CW_OBJECT_REPORTED_TWO_MUTEXES))
        report_two_mutexes(t, cond, mutex, &q, pc);
}

/* One waiter fewer; with none left, a misuse reported about its waiters no
 * longer explains a hang on it. */
static void waiter_left(cw_object_slot *slot)
{
    uint32_t n = atomic_load(&slot->waiters);
    while (n > 0 && !atomic_compare_exchange_weak(&slot->waiters, &n, n - 1))
        ;
    if (n == 1)
        atomic_fetch_and(&slot->flags, (uint32_t)~CW_OBJECT_WAITERS_REPORTED);
}

void cw_cond_wait_end(cw_thread *t, uintptr_t cond)
{
    atomic_store_explicit(&t->wait.stack, 0, memory_order_relaxed);
    atomic_store_explicit(&t->wait.mutex, 0, memory_order_relaxed);
    cw_object_slot *slot = cw_object_table_find(cond);
    if (slot)
        waiter_left(slot);
}

void cw_cond_woken(uintptr_t cond, bool all)
{
    cw_object_slot *slot = cw_object_table_find(cond);
    if (!slot || atomic_load(&slot->waiters) == 0)
        return;   /* woke nobody the shim knows: nothing to count */
    uint32_t w = atomic_fetch_add(&slot->wakes, 1) + 1;
    if (all)
        atomic_store(&slot->broadcast_at, w);
}

void cw_cond_created(cw_thread *t, uintptr_t cond, uintptr_t pc)
{
    cw_lock_slot *slot = cw_lock_table_get(cond);
    if (slot) {
        atomic_store(&slot->kind, CW_KIND_CONDVAR);
        atomic_store(&slot->create_stack, cw_thread_site_stack(t, pc));
    }
    cw_object_slot *object = cw_object_table_find(cond);
    if (object) {
        atomic_fetch_and(&object->flags, CW_OBJECT_WAITERS_REPORTED);   /* they may still wait */
        atomic_store(&object->bound_mutex, 0);
    }
}

/* At least one waiter on the condition is certainly asleep: more waiters
 * began since the last broadcast than signals since then could have woken
 * (a signal wakes at most one waiter, among those that began before it). */
static bool some_waiter_asleep(const cw_object_slot *slot, waiter_query *q)
{
    uint32_t wakes = atomic_load(&slot->wakes), broadcast = atomic_load(&slot->broadcast_at);
    uint32_t *e = q->tickets;
    size_t n = 0;
    for (size_t i = 0; i < q->ntickets; i++)
        if ((int32_t)(q->tickets[i] - broadcast) >= 0)
            e[n++] = q->tickets[i];
    /* Latest first: the j-th latest waiter (j from 1) and the j-1 later ones
     * can only have been woken by the signals after its ticket. */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && (int32_t)(e[k] - e[k - 1]) > 0; k--) {
            uint32_t x = e[k];
            e[k] = e[k - 1];
            e[k - 1] = x;
        }
    for (size_t j = 0; j < n; j++)
        if ((int64_t)(j + 1) > (int64_t)(int32_t)(wakes - e[j]))
            return true;
    return false;
}

bool cw_cond_destroying(cw_thread *t, uintptr_t cond, uintptr_t pc)
{
    cw_object_slot *slot = cw_object_table_find(cond);
    if (!slot || atomic_load(&slot->waiters) == 0)
        return false;
    waiter_query q;
    find_waiters(&q, cond, CW_KIND_CONDVAR, t);
    if (q.n == 0 || !some_waiter_asleep(slot, &q) || !first_report(slot, CW_OBJECT_WAITERS_REPORTED))
        return false;
    report_waiters(t, cond, CW_KIND_CONDVAR, "destroys", &q, "waits on M1 here", pc,
                   "glibc's pthread_cond_destroy waits for the waiters to leave: if nothing wakes them the "
                   "program hangs there (concwatch ends it after --hang-after)");
    return true;
}

/* ---- barriers ----------------------------------------------------------- */

/* A global or static variable: its lifetime is the program's, so an init
 * seen again is an init of the same barrier (heap and stack memory may have
 * been freed and reused for a new one in between). */
static bool in_static_storage(uintptr_t addr)
{
    Dl_info info;
    return dladdr((void *)addr, &info) != 0 && info.dli_fbase != NULL;
}

/* Threads that arrived in the round now under way. */
static uint32_t barrier_waiting(const cw_object_slot *slot)
{
    uint32_t count = atomic_load(&slot->barrier_count);
    if (!count || !(atomic_load(&slot->flags) & CW_OBJECT_LIVE))
        return 0;
    return atomic_load(&slot->barrier_arrived) % count;
}

static void report_barrier_again(cw_thread *t, uintptr_t barrier, uintptr_t pc)
{
    char self[16];
    cw_thread_label(t->index, self, sizeof self);
    cw_record r;
    if (cw_record_begin(&r, "misuse", "%s initialises barrier M1, which is already initialised", self) != 0)
        return;
    cw_lock_slot *slot = cw_lock_table_find(barrier);
    cw_stack_id first = slot ? atomic_load(&slot->create_stack) : 0;
    cw_record_lock_at(&r, "M1", CW_KIND_BARRIER, barrier, 0);
    cw_record_stack(&r, self, cw_capture_stack(pc), "initialises M1 again here");
    if (first)
        cw_record_stack(&r, "", first, "M1 was initialised here, and never destroyed");
    cw_record_note(&r, "initialising a barrier that is already initialised is undefined: destroy it first");
    cw_record_end(&r);
}

void cw_barrier_initialising(cw_thread *t, uintptr_t barrier, unsigned count, uintptr_t pc)
{
    cw_object_slot *slot = cw_object_table_get(barrier);
    if (!slot)
        return;
    uint32_t flags = atomic_load(&slot->flags);
    uint32_t keep = 0;
    if (barrier_waiting(slot) > 0) {
        waiter_query q;
        find_waiters(&q, barrier, CW_KIND_BARRIER, t);
        if (q.n > 0) {
            report_waiters(t, barrier, CW_KIND_BARRIER, "initialises", &q, "waits at M1 here", pc,
                           "initialising a barrier while threads wait at it is undefined: they may never "
                           "leave it");
            keep = CW_OBJECT_WAITERS_REPORTED;
        }
    } else if ((flags & CW_OBJECT_LIVE) && in_static_storage(barrier)) {
        report_barrier_again(t, barrier, pc);
    }
    atomic_store(&slot->barrier_count, count);
    atomic_store(&slot->barrier_arrived, 0);
    atomic_store(&slot->flags, CW_OBJECT_LIVE | keep);
    cw_lock_slot *lock = cw_lock_table_get(barrier);
    if (lock) {
        atomic_store(&lock->kind, CW_KIND_BARRIER);
        atomic_store(&lock->flags, 0);
        atomic_store(&lock->create_stack, cw_thread_site_stack(t, pc));
    }
}

bool cw_barrier_destroying(cw_thread *t, uintptr_t barrier, uintptr_t pc)
{
    cw_object_slot *slot = cw_object_table_find(barrier);
    if (!slot)
        return false;
    bool reported = false;
    if (barrier_waiting(slot) > 0) {
        waiter_query q;
        find_waiters(&q, barrier, CW_KIND_BARRIER, t);
        if (q.n > 0 && first_report(slot, CW_OBJECT_WAITERS_REPORTED)) {
            report_waiters(t, barrier, CW_KIND_BARRIER, "destroys", &q, "waits at M1 here", pc,
                           "glibc's pthread_barrier_destroy waits for the threads in the barrier to leave, "
                           "and they wait for the round to fill: the program hangs there (concwatch ends it "
                           "after --hang-after)");
            reported = true;
        }
    }
    atomic_fetch_and(&slot->flags, (uint32_t)~CW_OBJECT_LIVE);
    cw_lock_slot *lock = cw_lock_table_get(barrier);
    if (lock) {
        atomic_store(&lock->destroy_stack, cw_thread_site_stack(t, pc));
        atomic_fetch_or(&lock->flags, CW_LOCK_DESTROYED);
    }
    return reported;
}

void cw_barrier_arriving(cw_thread *t, uintptr_t barrier, uintptr_t pc)
{
    cw_object_slot *slot = cw_object_table_find(barrier);
    if (!slot)
        return;
    cw_lock_slot *lock = cw_lock_table_find(barrier);
    uint16_t flags = lock ? atomic_load(&lock->flags) : 0;
    if ((flags & CW_LOCK_DESTROYED) && !(atomic_load(&slot->flags) & CW_OBJECT_LIVE) &&
        !(atomic_fetch_or(&lock->flags, CW_LOCK_REPORTED_DESTROYED_USE) & CW_LOCK_REPORTED_DESTROYED_USE)) {
        char self[16];
        cw_thread_label(t->index, self, sizeof self);
        cw_record r;
        if (cw_record_begin(&r, "misuse", "%s waits at barrier M1, which was destroyed", self) == 0) {
            cw_stack_id destroyed = atomic_load(&lock->destroy_stack);
            cw_record_lock_at(&r, "M1", CW_KIND_BARRIER, barrier, 0);
            cw_record_stack(&r, self, cw_capture_stack(pc), "waits at M1 here");
            if (destroyed)
                cw_record_stack(&r, "", destroyed, "M1 was destroyed here (pthread_barrier_destroy)");
            cw_record_note(&r, "a destroyed barrier must be initialised again before it is used");
            cw_record_end(&r);
        }
    }
    atomic_fetch_add(&slot->barrier_arrived, 1);
}

/* ---- semaphores --------------------------------------------------------- */

static bool semaphore_waiters(cw_thread *t, uintptr_t sem, const char *verb, uintptr_t pc, const char *note)
{
    cw_object_slot *slot = cw_object_table_find(sem);
    if (!slot || atomic_load(&slot->waiters) == 0)
        return false;
    waiter_query q;
    find_waiters(&q, sem, CW_KIND_SEMAPHORE, t);
    if (q.n == 0 || !first_report(slot, CW_OBJECT_WAITERS_REPORTED))
        return false;
    report_waiters(t, sem, CW_KIND_SEMAPHORE, verb, &q, "waits on M1 here", pc, note);
    return true;
}

void cw_semaphore_initialising(cw_thread *t, uintptr_t sem, uintptr_t pc)
{
    semaphore_waiters(t, sem, "initialises", pc,
                      "initialising a semaphore that is in use is undefined: its waiters may never be woken");
}

bool cw_semaphore_destroying(cw_thread *t, uintptr_t sem, uintptr_t pc)
{
    return semaphore_waiters(t, sem, "destroys", pc,
                             "destroying a semaphore that threads wait on is undefined: nothing can post it "
                             "any more");
}

void cw_semaphore_wait_begin(uintptr_t sem)
{
    cw_object_slot *slot = cw_object_table_get(sem);
    if (slot)
        atomic_fetch_add(&slot->waiters, 1);
}

void cw_semaphore_wait_end(uintptr_t sem)
{
    cw_object_slot *slot = cw_object_table_find(sem);
    if (slot)
        waiter_left(slot);
}

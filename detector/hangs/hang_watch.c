#define _GNU_SOURCE
#include "hang_watch.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cross_process_hang.h"
#include "hang_report.h"
#include "common/clock.h"
#include "common/record_format.h"
#include "common/shim_flags.h"
#include "common/shim_health.h"
#include "events/helper_thread.h"
#include "events/lock_events.h"
#include "events/lock_table.h"
#include "events/object_table.h"

#define POLL_NS cw_flags.hang_poll_ns
#define hang_after_ns cw_flags.hang_after_ns
#define MAX_REPORTED 256

static atomic_int started;
static pid_t watcher_tid;
static size_t runtime_tasks;   /* threads of a sanitizer runtime, never blocked in our waits */

/* ---- what one blocked thread waits for -------------------------------- */

typedef cw_blocked blocked;

static cw_thread *holder_in_held_lists(uintptr_t addr, cw_thread *except);

/* The lock's owner field naming the waiter itself is not enough for a
 * self-deadlock: between the real lock returning and cw_wait_end, the thread
 * owns the lock and still shows the wait (on a loaded machine it can stay
 * preempted there for longer than a poll).  A thread that really waits for a
 * lock it holds took it before, through an interceptor: it is in its held
 * list.  One just taken is not yet (cw_acquired comes after cw_wait_end). */
static bool holds_recorded(const cw_thread *t, uintptr_t addr)
{
    uint32_t n = t->nheld < CW_MAX_HELD ? t->nheld : CW_MAX_HELD;
    for (uint32_t i = 0; i < n; i++)
        if (t->held[i].addr == addr)
            return true;
    return t->nheld >= CW_MAX_HELD;  /* the list is full: a lock taken since is not kept */
}

static void find_holder(blocked *b)
{
    b->holder = NULL;
    b->holder_certain = false;
    switch (b->kind) {
    case CW_KIND_MUTEX: {
        int owner = ((const pthread_mutex_t *)b->addr)->__data.__owner;
        b->holder = owner ? cw_thread_by_tid(owner) : NULL;
        if (b->holder == b->t && !holds_recorded(b->t, b->addr))
            b->holder = NULL;   /* it took the lock and has not yet left its wait mark */
        b->holder_certain = b->holder != NULL;
        break;
    }
    case CW_KIND_RWLOCK: {
        int writer = ((const pthread_rwlock_t *)b->addr)->__data.__cur_writer;
        b->holder = writer ? cw_thread_by_tid(writer) : holder_in_held_lists(b->addr, b->t);
        if (b->holder == b->t && !holds_recorded(b->t, b->addr))
            b->holder = NULL;   /* as for a mutex */
        b->holder_certain = b->holder != NULL;
        break;
    }
    case CW_KIND_SPINLOCK:
        b->holder = holder_in_held_lists(b->addr, NULL);
        b->holder_certain = b->holder != NULL;
        break;
    case CW_KIND_SEMAPHORE: {
        cw_lock_slot *slot = cw_lock_table_find(b->addr);
        /* A CPython 3.13 join's parking-lot semaphore: only the joined thread's end wakes it. */
        bool join = slot && (atomic_load(&slot->flags) & CW_LOCK_JOIN);
        uint32_t taker = slot && (join || atomic_load(&slot->sem_value0) == 2) ? atomic_load(&slot->sem_taker) : 0;
        b->holder = taker ? cw_thread_by_index(taker - 1) : NULL;
        b->holder_certain = join && b->holder;   /* else anyone may post a semaphore: never certain */
        break;
    }
    case CW_KIND_THREAD:
        b->holder = cw_thread_by_pthread((pthread_t)b->addr);
        b->holder_certain = b->holder != NULL;
        break;
    default:
        break;
    }
}

typedef struct held_query {
    uintptr_t addr;
    cw_thread *except, *found;
} held_query;

static void held_visit(cw_thread *t, void *arg)
{
    held_query *q = arg;
    if (q->found || t == q->except)
        return;
    uint32_t n = t->nheld < CW_MAX_HELD ? t->nheld : CW_MAX_HELD;
    for (uint32_t i = 0; i < n; i++)
        if (t->held[i].addr == q->addr) {
            q->found = t;
            return;
        }
}

static cw_thread *holder_in_held_lists(uintptr_t addr, cw_thread *except)
{
    held_query q = { addr, except, NULL };
    cw_thread_for_each(held_visit, &q);
    return q.found;
}

/* ---- sampling ---------------------------------------------------------- */

typedef struct sample {
    blocked *items;
    size_t n, cap;
    size_t live;
    uint64_t now;
} sample;

static void sample_visit(cw_thread *t, void *arg)
{
    sample *s = arg;
    s->live++;
    uintptr_t addr = atomic_load_explicit(&t->wait.addr, memory_order_acquire);
    uint32_t seq = __atomic_load_n(&t->wait.seq, __ATOMIC_RELAXED);
    uint32_t kind = atomic_load_explicit(&t->wait.kind, memory_order_relaxed);
    if (!addr) {
        t->watch_addr = 0;
        return;
    }
    /* The same wait as last time (same object, no new wait since): still blocked. */
    if (t->watch_addr != addr || t->watch_seq != seq) {
        t->watch_addr = addr;
        t->watch_seq = seq;
        t->watch_since_ns = s->now;
    }
    if (s->n == s->cap)
        return;
    s->items[s->n++] = (blocked){
        .t = t, .addr = addr, .kind = kind & ~CW_WAIT_TIMED, .timed = (kind & CW_WAIT_TIMED) != 0,
        .since_ns = t->watch_since_ns,
    };
}

static blocked *find_blocked(sample *s, cw_thread *t)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->items[i].t == t)
            return &s->items[i];
    return NULL;
}

/* Tasks of this process other than the watcher, not counting zombies (a main
 * thread that called pthread_exit stays listed). */
static size_t running_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return SIZE_MAX;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid == watcher_tid)
            continue;
        char path[64], buf[256];
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *paren = strrchr(buf, ')');
        if (paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'))
            continue;
        n++;
    }
    closedir(d);
    return n;
}

/* Every thread of the ring is still in the very wait it was sampled in
 * (same object, no new wait), checked after the holders and held lists were
 * read: the sample is not one instant, and a thread that was sampled in its
 * wait mark may have taken the lock and recorded it since (then its held list
 * shows the lock and the owner field names it: a self-deadlock that is not).
 * The acquire fence keeps the reads of owners and held lists before these
 * loads; a thread clears its mark (release store) before it records the lock
 * it took, and x86 keeps those two stores in order. */
static bool still_waiting(blocked *const *ring, size_t n)
{
    atomic_thread_fence(memory_order_acquire);
    for (size_t k = 0; k < n; k++) {
        cw_thread *t = ring[k]->t;
        if (atomic_load_explicit(&t->wait.addr, memory_order_acquire) != ring[k]->addr ||
            atomic_load_explicit(&t->wait.seq, memory_order_relaxed) != t->watch_seq)
            return false;
    }
    return true;
}

/* A ring of threads each waiting for something only the next one can
 * release.  Does not return when it finds one. */
static void check_ring(sample *s, uint64_t now)
{
    for (size_t i = 0; i < s->n; i++)
        find_holder(&s->items[i]);
    for (size_t i = 0; i < s->n; i++) {
        blocked *ring[MAX_REPORTED];
        size_t n = 0;
        blocked *b = &s->items[i];
        while (b && n < MAX_REPORTED) {
            /* Seen on two samples in a row: not a wait that is just ending. */
            /* A Python Lock (a semaphore) may be released by any thread, so
             * a ring through one is only believed once it has stood still
             * for --hang-after, like a program whose threads are all blocked;
             * a lone thread waiting on its own semaphore is left to that rule
             * (CPython's Condition waits that way by design). */
            bool believed = b->holder_certain
                ? now - b->since_ns >= POLL_NS
                : b->kind == CW_KIND_SEMAPHORE && b->holder && b->holder != b->t &&
                  now - b->since_ns >= hang_after_ns;
            if (b->timed || !believed)
                break;
            ring[n++] = b;
            blocked *next = find_blocked(s, b->holder);
            if (next == &s->items[i] && still_waiting(ring, n))
                cw_hang_report(s->items, s->n, ring, n);
            b = next;
            for (size_t k = 0; k < n && b; k++)
                if (ring[k] == b)
                    b = NULL;   /* a ring that does not pass through i: found from its own start */
        }
    }
}

/* Every blocked thread waits on an object about whose waiters a misuse was
 * already reported (a condition destroyed while a thread waits on it: the
 * destroyer and the waiters hang, as the finding said), or joins such a
 * thread: the hang is that bug, not a new finding. */
static bool hang_already_reported(const sample *s)
{
    bool explained[4096];
    size_t n = s->n < 4096 ? s->n : 4096;
    for (size_t i = 0; i < n; i++) {
        cw_object_slot *slot = s->items[i].kind == CW_KIND_THREAD ? NULL : cw_object_table_find(s->items[i].addr);
        explained[i] = slot && (atomic_load(&slot->flags) & CW_OBJECT_WAITERS_REPORTED);
    }
    for (bool more = true; more;) {
        more = false;
        for (size_t i = 0; i < n; i++) {
            if (explained[i] || s->items[i].kind != CW_KIND_THREAD)
                continue;
            const blocked *joined = find_blocked((sample *)s, s->items[i].holder);
            if (joined && explained[joined - s->items])
                more = explained[i] = true;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!explained[i])
            return false;
    return n == s->n;
}

/* Every thread blocked for good.  Does not return when they are, unless
 * some wait on locks shared with other processes: then this process's side
 * is published for the others (cross_process_hang.h) and true returned. */
static bool check_all_blocked(sample *s, uint64_t now)
{
    if (s->n == 0 || s->n != s->live)
        return false;
    for (size_t i = 0; i < s->n; i++)
        if (s->items[i].timed || now - s->items[i].since_ns < hang_after_ns)
            return false;
    /* A thread the shim never saw may be running: no proof of a hang.  The
     * ThreadSanitizer runtime's own background thread is the one exception. */
    size_t tasks = running_tasks();
    if (tasks < s->live || tasks > s->live + runtime_tasks)
        return false;
    for (size_t i = 0; i < s->n; i++)
        find_holder(&s->items[i]);
    if (hang_already_reported(s))
        _exit(CW_EXIT_FINDINGS);
    for (size_t i = 0; i < s->n; i++)
        if (cw_waits_on_shared_lock(&s->items[i])) {
            cw_cross_process_hang(s->items, s->n);   /* another process may release it */
            return true;
        }
    cw_hang_report(s->items, s->n, NULL, 0);
}

static void watcher_main(void)
{
    watcher_tid = (pid_t)syscall(SYS_gettid);
    runtime_tasks = dlsym(RTLD_DEFAULT, "__tsan_init") ? 1 : 0;
    sample s = { .cap = 4096 };
    s.items = cw_shim_mmap(s.cap * sizeof(blocked), 0, "the hang watcher");
    for (;;) {
        cw_helper_wait(POLL_NS);   /* ends the process when no thread of the program is left */
        if (!s.items || cw_shim_is_off())
            continue;   /* off after an internal error: nothing recorded is to be believed */
        s.n = s.live = 0;
        s.now = cw_now_ns();
        cw_health_beat(s.now, watcher_tid);   /* the launcher's watchdog: the watcher is not stuck */
        if (cw_test_fault(CW_FAULT_WATCHER_STUCK))
            for (;;)
                pause();   /* test only: the watcher stuck (as in a lock of the shim's) */
        if (cw_test_fault(CW_FAULT_HELPER_CRASH))
            cw_test_crash_here();   /* test only: a crash on the shim's own thread */
        cw_thread_for_each(sample_visit, &s);
        if (s.n == 0) {
            cw_cross_process_running();
            continue;
        }
        check_ring(&s, s.now);
        if (!check_all_blocked(&s, s.now))
            cw_cross_process_running();
    }
}

static const cw_helper_thread watcher = { "cw-hang-watch", watcher_main, 256 * 1024 };

void cw_hang_watch_start_once(cw_thread_create_fn create)
{
    if (atomic_load_explicit(&started, memory_order_relaxed) || atomic_exchange(&started, 1))
        return;
    if (!cw_helper_thread_start(create, &watcher))
        atomic_store(&started, 0);
}

void cw_hang_watch_after_fork_child(void)
{
    atomic_store(&started, 0);
    cw_cross_process_after_fork_child();
}

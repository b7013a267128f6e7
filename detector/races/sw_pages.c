#define _GNU_SOURCE
#include "sw_pages.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall_guard.h"
#include "common/clock.h"
#include "common/shim_health.h"

/* A spin lock of its own: the common one yields with the C library's
 * sched_yield, a system call the guard would trap, from inside the guard.
 * Like it, a wait of more than a second is published on the health page
 * (common/shim_health.h): the launcher's watchdog then ends a deadlock
 * here instead of leaving the program hung (the hang watcher cannot see
 * it: it may be one of the waiters, and a waiter is runnable). */
typedef struct { atomic_flag f; } sw_lock;
static sw_lock lock = { ATOMIC_FLAG_INIT };

static uint64_t raw_now_ns(void)
{
    struct timespec ts = { 0, 0 };
    cw_sud_raw(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0, 0);
    return (uint64_t)ts.tv_sec * CW_SEC + (uint64_t)ts.tv_nsec;
}

static void lock_acquire(sw_lock *l)
{
    uint64_t since = 0;
    for (unsigned spins = 0; atomic_flag_test_and_set_explicit(&l->f, memory_order_acquire); spins++) {
        if (spins < 128) {
            cw_cpu_relax();
            continue;
        }
        cw_sud_raw(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
        if ((spins & 1023) == 0) {
            uint64_t now = raw_now_ns();
            if (!since)
                since = now;
            else
                cw_spin_lock_waited_at(l, since, now, false);
        }
    }
    if (__builtin_expect(since != 0, 0))
        cw_spin_lock_waited_at(l, since, 0, true);
}

static void lock_release(sw_lock *l) { atomic_flag_clear_explicit(&l->f, memory_order_release); }

/* Taken outside the fault and system-call handlers (which block them
 * already), e.g. by a thread starting (backend_sw.c, word_joined), every
 * asynchronous signal waits until the lock is given back: a handler of the
 * program run meanwhile would make a system call, and the guard would wait
 * for this very lock, held by its own thread. */
#define SIG_BIT(s) (1ul << ((s) - 1))
static unsigned long lock_blocking(void)
{
    unsigned long block = ~(SIG_BIT(SIGSYS) | SIG_BIT(SIGSEGV) | SIG_BIT(SIGBUS) | SIG_BIT(SIGILL) |
                            SIG_BIT(SIGFPE) | SIG_BIT(SIGTRAP) | SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP));
    unsigned long old = 0;
    cw_sud_raw(SYS_rt_sigprocmask, SIG_BLOCK, (long)&block, (long)&old, 8, 0, 0);
    lock_acquire(&lock);
    return old;
}

static void unlock_restoring(unsigned long old)
{
    lock_release(&lock);
    cw_sud_raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
}
static uintptr_t page_size;



static uintptr_t page_of(uintptr_t a)
{
    if (!page_size)
        page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
    return a & ~(page_size - 1);
}

static void note_ours(uintptr_t page);

/* Test only (CONCWATCH_TEST_FAULT=sw-slow-prot): the protecting thread is
 * preempted right after its mprotect, as on a loaded machine. */
static void slow_prot_fault(void)
{
    if (cw_test_fault(CW_FAULT_SW_SLOW_PROT)) {
        struct timespec ts = { 0, 2 * 1000 * 1000 };
        cw_sud_raw(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
    }
}

static long set_prot(uintptr_t page, int prot)
{
    note_ours(page);
    long rc = cw_sud_raw(SYS_mprotect, (long)page, (long)page_size, prot, 0, 0, 0);
    slow_prot_fault();
    return rc;
}

/* Another slot protects the same page. */
static bool shared_with_other(const cw_watch *w)
{
    for (unsigned s = 0; s < cw_nslots; s++) {
        const cw_watch *o = &cw_watches[s];
        if (o != w && atomic_load(&o->protected_now) && o->page == w->page)
            return true;
    }
    return false;
}

/* Every page this backend ever protected.  A fault's handler may run long
 * after the fault (its thread preempted on a loaded machine), when the page
 * has been given back: a fault on a page once ours is then simply made
 * again (bounded in backend_sw.c), never handed to the program's own SIGSEGV
 * handler (zstd's prints a stack and kills the process).  A ring of the 16
 * pages given back last was not enough: 32 slots give theirs back and
 * protect them again at every tick.  Lock-free lookups; inserts under the
 * pages' lock.  When full, the last NRECENT inserts are still known. */
#define NEVER 4096
#define NRECENT 16
static _Atomic uintptr_t ever[NEVER];
static _Atomic uintptr_t recent[NRECENT];
static _Atomic unsigned next_recent;

static unsigned ever_hash(uintptr_t page)
{
    return (unsigned)(((page >> 12) * 0x9E3779B97F4A7C15ull) >> 40) % NEVER;
}

static void note_ours(uintptr_t page)
{
    unsigned h = ever_hash(page);
    for (unsigned probe = 0; probe < NEVER; probe++, h = (h + 1) % NEVER) {
        uintptr_t cur = atomic_load(&ever[h]);
        if (cur == page)
            return;
        if (cur == 0) {
            atomic_store(&ever[h], page);
            return;
        }
    }
    atomic_store(&recent[atomic_fetch_add(&next_recent, 1) % NRECENT], page);   /* full */
}

bool cw_sw_page_was_ours(uintptr_t addr)
{
    if (!page_size)
        return false;
    uintptr_t page = addr & ~(page_size - 1);
    unsigned h = ever_hash(page);
    for (unsigned probe = 0; probe < NEVER; probe++, h = (h + 1) % NEVER) {
        uintptr_t cur = atomic_load(&ever[h]);
        if (cur == page)
            return true;
        if (cur == 0)
            break;
    }
    for (unsigned i = 0; i < NRECENT; i++)
        if (atomic_load(&recent[i]) == page)
            return true;
    return false;
}

/* Private read-write memory that is no stack (from /proc/self/maps). */
static bool plain_private_memory(uintptr_t page)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return false;
    char line[512];
    bool ok = false;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        int name_at = 0;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms, &name_at) < 3)
            continue;
        if (page < lo || page >= hi)
            continue;
        const char *name = name_at > 0 ? line + name_at : "";
        ok = perms[0] == 'r' && perms[1] == 'w' && perms[2] == '-' && perms[3] == 'p' &&
             strncmp(name, "[stack", 6) != 0 && strncmp(name, "[vvar", 5) != 0 && strncmp(name, "[vdso", 5) != 0;
        break;
    }
    fclose(f);
    return ok;
}

typedef struct stack_check {
    uintptr_t page;
    bool on_stack;
} stack_check;

static void check_stack(cw_thread *t, void *arg)
{
    stack_check *c = arg;
    pthread_attr_t attr;
    if (c->on_stack || !t->self || pthread_getattr_np(t->self, &attr) != 0)
        return;
    void *lo;
    size_t size;
    if (pthread_attr_getstack(&attr, &lo, &size) == 0 && c->page + page_size > (uintptr_t)lo &&
        c->page < (uintptr_t)lo + size)
        c->on_stack = true;
    pthread_attr_destroy(&attr);
}

bool cw_sw_page_protect(cw_watch *w)
{
    uintptr_t page = page_of(w->addr);
    if (page_of(w->addr + w->len - 1) != page)
        return false;
    if (atomic_load(&w->protected_now) && w->page == page)
        return true;
    if (w->page_ok != page && cw_sw_page_slot(page) < 0) {
        if (!plain_private_memory(page)) {
            cw_race_debugf("race: page %#lx is not private read-write memory\n", (unsigned long)page);
            return false;
        }
        stack_check sc = { page, false };
        cw_thread_for_each(check_stack, &sc);
        if (sc.on_stack) {
            cw_race_debugf("race: page %#lx is on a thread's stack\n", (unsigned long)page);
            return false;
        }
        w->page_ok = page;
    }
    unsigned long mask = lock_blocking();
    w->page = page;
    atomic_store(&w->silent_faults, 0);
    bool ok = shared_with_other(w);
    if (!ok && !cw_sud_pending_overlaps(page, page + page_size)) {
        /* Claimed before it is protected: a thread that faults on the page
         * right after the mprotect finds its slot (and waits for this lock
         * in the fault handler).  Claimed after, as before, a fault in
         * between (this thread preempted) looked like the program's own
         * and went to the program's SIGSEGV handler: zstd crashed. */
        atomic_store(&w->protected_now, 1);
        ok = set_prot(page, PROT_NONE) == 0;
        if (!ok)
            atomic_store(&w->protected_now, 0);
    }
    if (ok)
        atomic_store(&w->protected_now, 1);
    unlock_restoring(mask);
    return ok;
}

/* No system call but through cw_sud_raw while the lock is held: the guard
 * (syscall_guard.h) would come back here for it. */
static void release_locked(cw_watch *w)
{
    if (!atomic_load(&w->protected_now))
        return;
    /* Opened before it stops being claimed: a fault meanwhile finds its
     * slot, waits for this lock, then makes the access again natively. */
    if (!shared_with_other(w))
        set_prot(w->page, PROT_READ | PROT_WRITE);
    atomic_store(&w->protected_now, 0);
}

void cw_sw_page_release(cw_watch *w)
{
    if (atomic_load(&w->protected_now))
        cw_race_debugf("race: page %#lx opened (silent %u)\n", (unsigned long)w->page, atomic_load(&w->silent_faults));
    unsigned long mask = lock_blocking();
    release_locked(w);
    unlock_restoring(mask);
}

void cw_sw_pages_lock(void) { lock_acquire(&lock); }
void cw_sw_pages_unlock(void) { lock_release(&lock); }

bool cw_sw_pages_any(void)
{
    for (unsigned s = 0; s < cw_nslots; s++)
        if (atomic_load_explicit(&cw_watches[s].protected_now, memory_order_acquire))
            return true;
    return false;
}

void cw_sw_pages_release_range(uintptr_t lo, uintptr_t hi)
{
    if (!cw_sw_pages_any())
        return;
    unsigned long mask = lock_blocking();
    cw_sw_pages_release_range_locked(lo, hi);
    unlock_restoring(mask);
}

void cw_sw_pages_release_range_locked(uintptr_t lo, uintptr_t hi)
{
    for (unsigned s = 0; s < cw_nslots; s++) {
        cw_watch *w = &cw_watches[s];
        if (atomic_load(&w->protected_now) && lo < w->page + page_size && hi > w->page) {
            /* Opened first, then no longer claimed (see release_locked). */
            set_prot(w->page, PROT_READ | PROT_WRITE);
            /* Both slots on this page go. */
            for (unsigned t = 0; t < cw_nslots; t++)
                if (atomic_load(&cw_watches[t].protected_now) && cw_watches[t].page == w->page) {
                    atomic_store(&cw_watches[t].sw_dropped, 1);
                    atomic_store(&cw_watches[t].protected_now, 0);
                }
        }
    }
}

void cw_sw_pages_release_all(void)
{
    cw_sw_pages_release_range(0, UINTPTR_MAX);
}

int cw_sw_page_slot(uintptr_t addr)
{
    uintptr_t page = page_of(addr);
    for (unsigned s = 0; s < cw_nslots; s++)
        if (atomic_load_explicit(&cw_watches[s].protected_now, memory_order_acquire) && cw_watches[s].page == page)
            return (int)s;
    return -1;
}

void cw_sw_pages_after_fork_child(void)
{
    atomic_flag_clear(&lock.f);
    for (unsigned s = 0; s < cw_nslots; s++) {
        cw_watch *w = &cw_watches[s];
        if (atomic_load(&w->protected_now))
            mprotect((void *)w->page, page_size, PROT_READ | PROT_WRITE);
        atomic_store(&w->protected_now, 0);
    }
}

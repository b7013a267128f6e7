#define _GNU_SOURCE
#include "hang_report.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/record_format.h"
#include "common/shim_health.h"
#include "events/lock_events.h"
#include <ucontext.h>

#include "common/code_map.h"
#include "events/lock_table.h"
#include "events/record_writer.h"
#include "stacks/python_stacks.h"
#include "stacks/stack_capture.h"

#define CAPTURE_SIGNAL (SIGRTMAX - 1)
#define MAX_REPORTED 256

/* ---- stacks of sleeping threads ---------------------------------------- */

static void capture_handler(int sig, siginfo_t *info, void *ucv)
{
    (void)sig; (void)info;
    cw_thread *t = cw_tls_self;
    if (!t)
        return;
    int saved = errno;
    /* Asleep in a call the race checks run from a trampoline: the unwinder
     * reads the interrupted pc from this frame, so it is shown the caller's
     * for the time of the capture. */
    ucontext_t *uc = ucv;
    uintptr_t tramp = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP], real = cw_code_map_alias(tramp);
    if (real)
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)real;
    t->hang_npcs = cw_capture_pcs(0, t->hang_pcs, CW_MAX_FRAMES);
    if (real)
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)tramp;
    atomic_store(&t->hang_captured, 1);
    errno = saved;
}

/* Each blocked thread captures its own stack, in a signal handler: it is
 * asleep in the kernel, and only it can unwind itself. */
void cw_hang_capture_stacks(cw_blocked *all, size_t n)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = capture_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    /* Never the synchronous ones: a fault or a guarded system call of the
     * race checks' software watchpoints while they are blocked would kill
     * the thread (races/syscall_guard.h). */
    sigdelset(&sa.sa_mask, SIGSEGV);
    sigdelset(&sa.sa_mask, SIGSYS);
    sigdelset(&sa.sa_mask, SIGTRAP);
    sigaction(CAPTURE_SIGNAL, &sa, NULL);
    pid_t pid = getpid();
    int self = (int)syscall(SYS_gettid);
    for (size_t i = 0; i < n; i++) {
        atomic_store(&all[i].t->hang_captured, 0);
        syscall(SYS_tgkill, pid, all[i].t->tid, CAPTURE_SIGNAL);
    }
    for (int tries = 0; tries < 50; tries++) {
        bool done = true;
        for (size_t i = 0; i < n; i++)
            done &= atomic_load(&all[i].t->hang_captured) != 0;
        if (done)
            break;
        cw_sleep_ns(10 * CW_MS);
        /* The hang watcher is working, not stuck: with hundreds of threads
         * to unwind on a loaded machine this wait (bounded: 50 rounds) can
         * outlast the launcher's watchdog, which only sees the beat and a
         * watcher asleep in nanosleep, and would kill the program in the
         * middle of its report (exit 137, "deadlock inside concwatch's shim"). */
        cw_health_beat(cw_now_ns(), self);
    }
}

/* The interrupted stack, from the user's call into the shim outwards. */
size_t cw_hang_user_frames(const cw_blocked *b, const uintptr_t **pcs)
{
    cw_thread *t = b->t;
    if (!atomic_load(&t->hang_captured)) {
        *pcs = (const uintptr_t *)&t->wait.pc;
        return 1;
    }
    uintptr_t pc = atomic_load(&t->wait.pc);
    int n = t->hang_npcs;
    for (int i = 0; i < n; i++)
        if (t->hang_pcs[i] == pc) {
            *pcs = &t->hang_pcs[i];
            return (size_t)(n - i);
        }
    *pcs = t->hang_pcs;
    return (size_t)n;
}

/* ---- Python ------------------------------------------------------------ */

/* CPython's Condition (and Event, Queue, Barrier, Semaphore built on it)
 * parks each waiter on a fresh Lock that the waiter itself took: blocked
 * there, a thread waits for a notify, not on a lock it forgot it held.
 * Thread.join waits on the joined thread's state lock (3.10-3.12, in
 * _wait_for_tstate_lock) or, from 3.13, on an event of the thread's handle
 * in CPython's parking lot (a semaphore of its own), right under
 * Thread.join; at exit, threading._shutdown waits for the non-daemon
 * threads the same ways. */
static void classify_python_wait(const char *frames, cw_blocked *b)
{
    cw_python_frame top;
    if (!cw_python_frame_next(&frames, &top))
        return;
    size_t len = strlen(top.file);
    if (len < 12 || strcmp(top.file + len - 12, "threading.py") != 0)
        return;
    if (strcmp(top.function, "_shutdown") == 0)
        b->python_join = b->python_exit = true;
    else if (strcmp(top.function, "_wait_for_tstate_lock") == 0 || strcmp(top.function, "join") == 0)
        b->python_join = true;
    else
        b->library_wait = true;
}

/* The same from what the lock is, where no Python stack can be read (a
 * version whose thread layout is unknown, CONCWATCH_PYTHON_DIRECT=0): a
 * Condition's waiter, or a Thread's lifetime lock, which only join() and
 * threading._shutdown wait on (3.10-3.12). */
static void classify_python_lock(cw_blocked *b)
{
    cw_lock_slot *slot = b->kind == CW_KIND_SEMAPHORE ? cw_lock_table_find(b->addr) : NULL;
    if (!slot)
        return;
    if (atomic_load(&slot->flags) & CW_LOCK_WAITER)
        b->library_wait = true;
    else if (atomic_load(&slot->flags) & (CW_LOCK_LIFETIME | CW_LOCK_JOIN))
        b->python_join = true;
}

static bool is_join(const cw_blocked *b)
{
    return b->kind == CW_KIND_THREAD || b->python_join;
}

/* ---- the story --------------------------------------------------------- */

typedef struct story {
    cw_blocked **list;         /* the threads shown, in order */
    size_t n;
    uintptr_t objs[MAX_REPORTED];   /* objects waited on, labelled M1, M2... */
    size_t nobj;
    bool self_wait;            /* a thread waits for a lock it took itself */
    cw_python_stacks py;
    bool have_py;
} story;

/* A blocked thread's Python stack: from the dump of every thread, or else
 * (no dump: a version whose thread layout is unknown) the Python site its
 * wait on a Python lock started from, noted while it still held the GIL. */
static const char *python_frames(const story *s, const cw_blocked *b)
{
    const char *frames = s->have_py ? cw_python_stacks_of(&s->py, b->t->self) : NULL;
    if (!frames && b->kind == CW_KIND_SEMAPHORE && b->t->py_pending_addr == b->addr)
        frames = cw_python_stack_text(b->t->py_pending);
    return frames;
}

/* Threads waiting on locks first, joins last: the stack a reader should
 * look at first (and the summary line) is the one stuck on a lock. */
static size_t order_threads(cw_blocked *all, size_t n, cw_blocked **out)
{
    size_t k = 0;
    for (int joins = 0; joins < 2; joins++)
        for (size_t i = 0; i < n && k < MAX_REPORTED; i++)
            if (is_join(&all[i]) == joins)
                out[k++] = &all[i];
    return k;
}

/* Objects waited on get labels M1, M2... in order of first appearance
 * (threads being joined are named by their own label instead). */
static void label_objects(story *s)
{
    s->nobj = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (is_join(s->list[i]))
            continue;
        size_t j = 0;
        while (j < s->nobj && s->objs[j] != s->list[i]->addr)
            j++;
        if (j == s->nobj)
            s->objs[s->nobj++] = s->list[i]->addr;
    }
}

static size_t label_of(const story *s, uintptr_t addr)
{
    size_t j = 0;
    while (j < s->nobj && s->objs[j] != addr)
        j++;
    return j + 1;
}

static const char *wait_verb(uint32_t kind)
{
    switch (kind) {
    case CW_KIND_CONDVAR: return "waits on condition variable";
    case CW_KIND_BARRIER: return "waits at barrier";
    case CW_KIND_THREAD: return "waits to join thread";
    default: return "waits for";
    }
}

/* What the thread waits for, as the role of its stack. */
static void describe_wait(const story *s, const cw_blocked *b, char *role, size_t size)
{
    char holder[16] = "";
    if (b->holder)
        cw_thread_label(b->holder->index, holder, sizeof holder);
    const char *who = b->holder == b->t ? "itself" : holder;
    size_t m = label_of(s, b->addr);
    if (b->library_wait)
        snprintf(role, size, "waits in the threading library (a Condition, Event, Queue, Barrier or "
                 "Semaphore wait) that nothing is left to wake");
    else if (b->python_exit)
        snprintf(role, size, "waits, at exit, for the other threads to end (threading._shutdown)");
    else if (b->python_join && holder[0])
        snprintf(role, size, "waits to join thread %s (Thread.join)", holder);
    else if (b->python_join)
        snprintf(role, size, "waits to join a thread (Thread.join)");
    else if (b->kind == CW_KIND_THREAD)
        snprintf(role, size, "%s %s", wait_verb(b->kind), holder[0] ? holder : "(unknown)");
    else if (b->kind == CW_KIND_SEMAPHORE)
        snprintf(role, size, "%s %s M%zu%s%s", wait_verb(b->kind), cw_lock_type_name(b->addr, (int)b->kind), m,
                 holder[0] ? ", last taken by " : ", which nobody is left to post", holder[0] ? who : "");
    else if (b->kind == CW_KIND_CONDVAR || b->kind == CW_KIND_BARRIER)
        snprintf(role, size, "%s M%zu", wait_verb(b->kind), m);
    else
        snprintf(role, size, "%s %s M%zu%s%s", wait_verb(b->kind), cw_lock_kind_name((int)b->kind), m,
                 holder[0] ? ", held by " : "", holder[0] ? who : "");
}

static void record_objects(const story *s, cw_record *r)
{
    for (size_t j = 0; j < s->nobj; j++) {
        char id[24];
        snprintf(id, sizeof id, "M%zu", j + 1);
        cw_lock_slot *slot = cw_lock_table_find(s->objs[j]);
        uint32_t k = 0;
        for (size_t i = 0; i < s->n; i++)
            if (s->list[i]->addr == s->objs[j])
                k = s->list[i]->kind;
        cw_stack_id created = slot ? atomic_load(&slot->create_stack) : 0;
        cw_record_lock(r, id, cw_lock_type_name(s->objs[j], (int)k), created ? "created" : "first used", created,
                       s->objs[j]);
    }
}

static void record_waiters(const story *s, cw_record *r)
{
    for (size_t i = 0; i < s->n; i++) {
        const cw_blocked *b = s->list[i];
        char self[16], role[256];
        cw_thread_label(b->t->index, self, sizeof self);
        describe_wait(s, b, role, sizeof role);
        /* In CPython the native frames are the interpreter's own: the Python
         * stack is the one the user can act on. */
        const char *frames = python_frames(s, b);
        if (frames) {
            cw_record_stack_pcs(r, self, NULL, 0, 0, role);
            cw_record_python_frames(r, frames);
            continue;
        }
        const uintptr_t *pcs;
        size_t n = cw_hang_user_frames(b, &pcs);
        cw_record_stack_pcs(r, self, pcs, n, 0, role);
    }
}

/* Where each holder took what the others wait for. */
static void record_holders(const story *s, cw_record *r)
{
    for (size_t i = 0; i < s->n; i++) {
        const cw_blocked *b = s->list[i];
        if (!b->holder || is_join(b) || b->library_wait)
            continue;
        char holder[16];
        cw_thread_label(b->holder->index, holder, sizeof holder);
        cw_stack_id taken = 0;
        if (b->kind == CW_KIND_SEMAPHORE) {
            cw_lock_slot *slot = cw_lock_table_find(b->addr);
            taken = slot ? atomic_load(&slot->sem_take_stack) : 0;
        } else {
            int h = cw_held_index(b->holder, b->addr);
            taken = h >= 0 ? b->holder->held[h].stack : 0;
        }
        if (taken && !(s->have_py && !(taken & CW_PYTHON_STACK_BIT)))
            cw_record_stack(r, holder, taken, "took M%zu here", label_of(s, b->addr));
    }
}

void cw_hang_report(cw_blocked *all, size_t n, cw_blocked **ring, size_t nring)
{
    cw_hang_capture_stacks(all, n);
    story s = { 0 };
    s.have_py = cw_python_stacks_dump(&s.py);
    for (size_t i = 0; i < n; i++) {
        const char *frames = python_frames(&s, &all[i]);
        if (frames)
            classify_python_wait(frames, &all[i]);
        else
            classify_python_lock(&all[i]);
    }

    cw_blocked *ordered[MAX_REPORTED];
    s.list = ring ? ring : ordered;
    s.n = ring ? nring : order_threads(all, n, ordered);
    for (size_t i = 0; i < s.n; i++)
        if (s.list[i]->holder == s.list[i]->t && !s.list[i]->library_wait)
            s.self_wait = true;
    label_objects(&s);

    cw_record r;
    const char *kind = s.self_wait ? "self-deadlock" : "deadlock";
    int rc = ring ? cw_record_begin(&r, kind, "%zu threads wait for each other in a cycle: the program hangs", nring)
                  : cw_record_begin(&r, kind, "all %zu threads are blocked for good: the program hangs", n);
    if (rc == 0) {
        record_objects(&s, &r);
        record_waiters(&s, &r);
        record_holders(&s, &r);
        cw_record_note(&r, "concwatch ended the program (exit %d) instead of letting it hang", CW_EXIT_FINDINGS);
        cw_record_end(&r);
    }
    if (s.have_py)
        cw_python_stacks_free(&s.py);
    _exit(CW_EXIT_FINDINGS);
}

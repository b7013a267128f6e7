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

#include "lock_events.h"
#include "lock_table.h"
#include "record_writer.h"
#include "thread_state.h"
#include "../stacks/python_stacks.h"
#include "../stacks/stack_capture.h"

#define POLL_NS (100 * 1000 * 1000ull)
#define CAPTURE_SIGNAL (SIGRTMAX - 1)
#define MAX_REPORTED 256

static atomic_int started;
static uint64_t hang_after_ns = 2000000000ull;
static pid_t watcher_tid;
static size_t runtime_tasks;   /* threads of a sanitizer runtime, never blocked in our waits */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- what one blocked thread waits for -------------------------------- */

typedef struct blocked {
    cw_thread *t;
    uintptr_t addr;
    uint32_t kind;             /* cw_lock_kind, without the timed flag */
    bool timed;
    uint64_t since_ns;
    cw_thread *holder;         /* who can release it, when known */
    bool holder_certain;       /* only the holder can release it (mutex, write lock, spin, join) */
    bool library_wait;         /* a Python thread parked inside threading.py (Condition machinery) */
    bool python_join;          /* a Python thread in Thread.join (waits on the joined thread's state lock) */
} blocked;

static cw_thread *holder_in_held_lists(uintptr_t addr, cw_thread *except);

static void find_holder(blocked *b)
{
    b->holder = NULL;
    b->holder_certain = false;
    switch (b->kind) {
    case CW_KIND_MUTEX: {
        int owner = ((const pthread_mutex_t *)b->addr)->__data.__owner;
        b->holder = owner ? cw_thread_by_tid(owner) : NULL;
        b->holder_certain = b->holder != NULL;
        break;
    }
    case CW_KIND_RWLOCK: {
        int writer = ((const pthread_rwlock_t *)b->addr)->__data.__cur_writer;
        b->holder = writer ? cw_thread_by_tid(writer) : holder_in_held_lists(b->addr, b->t);
        b->holder_certain = b->holder != NULL;
        break;
    }
    case CW_KIND_SPINLOCK:
        b->holder = holder_in_held_lists(b->addr, NULL);
        b->holder_certain = b->holder != NULL;
        break;
    case CW_KIND_SEMAPHORE: {
        cw_lock_slot *slot = cw_lock_table_find(b->addr);
        uint32_t taker = slot && atomic_load(&slot->sem_value0) == 2 ? atomic_load(&slot->sem_taker) : 0;
        b->holder = taker ? cw_thread_by_index(taker - 1) : NULL;
        break;   /* anyone may post a semaphore: never certain */
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
    uint32_t seq = atomic_load_explicit(&t->wait.seq, memory_order_relaxed);
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

/* ---- stacks of sleeping threads ---------------------------------------- */

static void capture_handler(int sig, siginfo_t *info, void *uc)
{
    (void)sig; (void)info; (void)uc;
    cw_thread *t = cw_tls_self;
    if (!t)
        return;
    int saved = errno;
    t->hang_npcs = cw_capture_pcs(0, t->hang_pcs, CW_MAX_FRAMES);
    atomic_store(&t->hang_captured, 1);
    errno = saved;
}

static void capture_stacks(sample *s)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = capture_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    sigaction(CAPTURE_SIGNAL, &sa, NULL);
    pid_t pid = getpid();
    for (size_t i = 0; i < s->n; i++) {
        atomic_store(&s->items[i].t->hang_captured, 0);
        syscall(SYS_tgkill, pid, s->items[i].t->tid, CAPTURE_SIGNAL);
    }
    for (int tries = 0; tries < 50; tries++) {
        bool all = true;
        for (size_t i = 0; i < s->n; i++)
            all &= atomic_load(&s->items[i].t->hang_captured) != 0;
        if (all)
            break;
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* The interrupted stack, from the user's call into the shim outwards. */
static size_t user_frames(const blocked *b, const uintptr_t **pcs)
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

/* ---- report ------------------------------------------------------------ */

static const char *wait_verb(uint32_t kind)
{
    switch (kind) {
    case CW_KIND_CONDVAR: return "waits on condition variable";
    case CW_KIND_BARRIER: return "waits at barrier";
    case CW_KIND_THREAD: return "waits to join thread";
    default: return "waits for";
    }
}

/* CPython's Condition (and Event, Queue, Barrier, Semaphore built on it)
 * parks each waiter on a fresh Lock that the waiter itself took: blocked
 * there, a thread waits for a notify, not on a lock it forgot it held. */
static void classify_python_wait(const cw_python_stacks *py, blocked *b)
{
    char file[512], function[128];
    if (!cw_python_stacks_top(py, b->t->self, file, sizeof file, function, sizeof function))
        return;
    size_t len = strlen(file);
    if (len < 12 || strcmp(file + len - 12, "threading.py") != 0)
        return;
    /* Thread.join waits on the joined thread's state lock. */
    if (strcmp(function, "_wait_for_tstate_lock") == 0)
        b->python_join = true;
    else
        b->library_wait = true;
}

static bool is_join(const blocked *b)
{
    return b->kind == CW_KIND_THREAD || b->python_join;
}

static void report(sample *s, blocked **ring, size_t nring)
{
    capture_stacks(s);
    cw_python_stacks py;
    bool have_py = cw_python_stacks_dump(&py);
    for (size_t i = 0; have_py && i < s->n; i++)
        classify_python_wait(&py, &s->items[i]);

    /* Threads waiting on locks first, joins last: the stack a reader should
     * look at first (and the summary line) is the one stuck on a lock. */
    blocked **list = ring;
    size_t nlist = nring;
    blocked *all[MAX_REPORTED];
    if (!ring) {
        nlist = 0;
        for (int joins = 0; joins < 2; joins++)
            for (size_t i = 0; i < s->n && nlist < MAX_REPORTED; i++)
                if (is_join(&s->items[i]) == joins)
                    all[nlist++] = &s->items[i];
        list = all;
    }

    /* A thread waiting for a lock it took itself (and not as a condition
     * waiter) makes this a self-deadlock. */
    bool self_wait = false;
    for (size_t i = 0; i < nlist; i++)
        if (list[i]->holder == list[i]->t && !list[i]->library_wait)
            self_wait = true;

    /* Objects waited on get labels M1, M2... in order of first appearance
     * (threads being joined are named by their own label instead). */
    uintptr_t objs[MAX_REPORTED];
    size_t nobj = 0;
    for (size_t i = 0; i < nlist; i++) {
        if (list[i]->kind == CW_KIND_THREAD)
            continue;
        size_t j = 0;
        while (j < nobj && objs[j] != list[i]->addr)
            j++;
        if (j == nobj)
            objs[nobj++] = list[i]->addr;
    }

    cw_record r;
    const char *kind = self_wait ? "self-deadlock" : "deadlock";
    int rc = ring ? cw_record_begin(&r, kind, "%zu threads wait for each other in a cycle: the program hangs", nring)
                  : cw_record_begin(&r, kind, "all %zu threads are blocked for good: the program hangs", s->n);
    if (rc != 0)
        _exit(66);
    for (size_t j = 0; j < nobj; j++) {
        char id[16];
        snprintf(id, sizeof id, "M%zu", j + 1);
        cw_lock_slot *slot = cw_lock_table_find(objs[j]);
        uint32_t k = 0;
        for (size_t i = 0; i < nlist; i++)
            if (list[i]->addr == objs[j])
                k = list[i]->kind;
        cw_stack_id created = slot ? atomic_load(&slot->create_stack) : 0;
        cw_record_lock(&r, id, cw_lock_kind_name((int)k), created ? "created" : "first used", created);
    }
    for (size_t i = 0; i < nlist; i++) {
        blocked *b = list[i];
        size_t j = 0;
        while (j < nobj && objs[j] != b->addr)
            j++;
        char self[16], holder[16] = "", role[256];
        cw_thread_label(b->t->index, self, sizeof self);
        if (b->holder)
            cw_thread_label(b->holder->index, holder, sizeof holder);
        if (b->library_wait)
            snprintf(role, sizeof role, "waits in the threading library (a Condition, Event, Queue, Barrier or "
                     "Semaphore wait) that nothing is left to wake");
        else if (b->python_join)
            snprintf(role, sizeof role, "waits to join thread %s (Thread.join)", holder[0] ? holder : "(unknown)");
        else if (b->kind == CW_KIND_THREAD)
            snprintf(role, sizeof role, "%s %s", wait_verb(b->kind), holder[0] ? holder : "(unknown)");
        else if (b->kind == CW_KIND_SEMAPHORE)
            snprintf(role, sizeof role, "%s semaphore M%zu%s%s", wait_verb(b->kind), j + 1,
                     holder[0] ? ", last taken by " : ", which nobody is left to post",
                     holder[0] ? (b->holder == b->t ? "itself" : holder) : "");
        else if (b->kind == CW_KIND_CONDVAR || b->kind == CW_KIND_BARRIER)
            snprintf(role, sizeof role, "%s M%zu", wait_verb(b->kind), j + 1);
        else
            snprintf(role, sizeof role, "%s %s M%zu%s%s", wait_verb(b->kind), cw_lock_kind_name((int)b->kind),
                     j + 1, holder[0] ? ", held by " : "", holder[0] ? (b->holder == b->t ? "itself" : holder) : "");
        /* In CPython the native frames are the interpreter's own: the Python
         * stack is the one the user can act on. */
        if (have_py && cw_python_stacks_record(&py, b->t->self, &r, self, role))
            continue;
        const uintptr_t *pcs;
        size_t n = user_frames(b, &pcs);
        cw_record_stack_pcs(&r, self, pcs, n, 0, role);
    }
    /* Where each holder took what the others wait for. */
    for (size_t i = 0; i < nlist; i++) {
        blocked *b = list[i];
        if (!b->holder || is_join(b) || b->library_wait)
            continue;
        size_t j = 0;
        while (j < nobj && objs[j] != b->addr)
            j++;
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
        if (taken && !(have_py && !(taken & CW_PYTHON_STACK_BIT)))
            cw_record_stack(&r, holder, taken, "took M%zu here", j + 1);
    }
    cw_record_note(&r, "concwatch ended the program (exit 66) instead of letting it hang");
    cw_record_end(&r);
    if (have_py)
        cw_python_stacks_free(&py);
    _exit(66);
}

/* A ring of threads each waiting for something only the next one can release. */
static bool check_ring(sample *s, uint64_t now)
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
            if (next == &s->items[i]) {
                report(s, ring, n);
                return true;
            }
            b = next;
            for (size_t k = 0; k < n && b; k++)
                if (ring[k] == b)
                    b = NULL;   /* a ring that does not pass through i: found from its own start */
        }
    }
    return false;
}

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
    report(s, NULL, 0);
    return true;
}

static void *watcher_main(void *arg)
{
    (void)arg;
    cw_tls_untracked = 1;
    watcher_tid = (pid_t)syscall(SYS_gettid);
    runtime_tasks = dlsym(RTLD_DEFAULT, "__tsan_init") ? 1 : 0;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    sample s = { .cap = 4096 };
    s.items = mmap(NULL, s.cap * sizeof(blocked), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s.items == MAP_FAILED)
        return NULL;
    for (;;) {
        struct timespec ts = { 0, POLL_NS };
        nanosleep(&ts, NULL);
        s.n = s.live = 0;
        s.now = now_ns();
        cw_thread_for_each(sample_visit, &s);
        if (s.n == 0)
            continue;
        if (check_ring(&s, s.now) || check_all_blocked(&s, s.now))
            break;
    }
    return NULL;
}

void cw_hang_watch_start_once(cw_thread_create_fn create)
{
    if (atomic_load_explicit(&started, memory_order_relaxed) || atomic_exchange(&started, 1))
        return;
    const char *env = getenv("CONCWATCH_HANG_AFTER");
    if (env && *env) {
        double sec = strtod(env, NULL);
        if (sec > 0)
            hang_after_ns = (uint64_t)(sec * 1e9);
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t th;
    if (create(&th, &attr, watcher_main, NULL) != 0)
        atomic_store(&started, 0);
    pthread_attr_destroy(&attr);
}

void cw_hang_watch_after_fork_child(void)
{
    atomic_store(&started, 0);
}

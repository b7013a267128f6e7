/*
 * Per-thread state of the watched program, as the shim records it: which locks
 * a thread holds (its lockset), what it is blocked on, and small caches that
 * keep the lock/unlock hot path free of global locks.
 *
 * Every thread the shim sees gets a cw_thread from a registry of mmap'd slots
 * (no malloc: threads can first appear inside the allocator or before it is
 * initialised).  The current thread's slot is one initial-exec TLS load away.
 * A thread's own fields are written only by itself; the hang watcher reads
 * the `wait` and `held` fields of other threads racily and confirms what it
 * sees over time.  Slots of exited threads are recycled; their index (the "T"
 * number in reports) is not.
 */
#ifndef CW_THREAD_STATE_H
#define CW_THREAD_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lock_kind.h"
#include "common/hash.h"
#include "stacks/stack_depot.h"

#define CW_MAX_HELD 64
#define CW_SITE_CACHE_BITS 8
#define CW_SITE_CACHE (1u << CW_SITE_CACHE_BITS)
/* Caches of facts about the lock-order graph: sets of 4 fingerprints. */
#define CW_FP_WAYS 4
#define CW_NESTED_SETS 4096     /* 16384 nestings, 128 KB (touched as used) */
#define CW_SLOT_CACHE_BITS 6
#define CW_EDGE_SETS 1024       /* 4096 edge occurrences */
#define CW_WAIT_TIMED 0x100u   /* in cw_wait.kind: the wait gives up by itself */

typedef struct cw_held_lock {
    uintptr_t addr;
    uint64_t node;          /* lock-order graph node, resolved lazily (0 = not yet) */
    cw_stack_id stack;      /* where this thread took it */
    uint32_t epoch;         /* semaphores: the lock's release count when taken */
    uint8_t kind;           /* cw_lock_kind */
    uint8_t read;           /* held in shared (read) mode */
    uint8_t not_gate;       /* held for the thread's whole life (Python's tstate lock): never a gate */
    uint8_t unused;         /* written with the three above: one store on the fast path */
} cw_held_lock;

typedef struct cw_site {
    uintptr_t pc;
    cw_stack_id stack;
} cw_site;

/* A Python site (events/python_sites.h): its key (the code objects and
 * bytecode offsets of its frames) and what was found there. */
typedef struct cw_py_site {
    uint64_t key;               /* 0: empty */
    uint32_t code_deaths;       /* python/py_code_life.h's count when filled: valid while unchanged */
    bool library_head;          /* the key's one frame is threading's or queue's: the site is keyed deeper */
    cw_stack_id stack;
    bool nonblocking;           /* the call there is acquire(False) / acquire(timeout=0) */
    bool thread_lifetime;       /* threading's acquire of the thread's tstate lock */
    uint8_t lock_type;          /* what a lock made there is (python/py_lock_types.h) */
    bool waiter;                /* a lock made there is Condition.wait's waiter */
    bool internal;              /* a lock made there is the runtime's bookkeeping (no happens-before) */
} cw_py_site;

#define CW_PY_SITE_CACHE 64

/* What a thread is blocked in, for the hang watcher. */
typedef struct cw_wait {
    _Atomic uintptr_t addr;     /* 0 = not blocked in an intercepted wait */
    _Atomic uint32_t kind;      /* cw_lock_kind of the object waited on */
    uint32_t seq;               /* bumped at each new wait: the watcher sees progress.
                                   Written by the thread only, with a plain add (one
                                   instruction); the watcher reads it with
                                   __atomic_load_n. */
    _Atomic cw_stack_id stack;  /* where the wait was entered (cached site stack), 0 if not known */
    _Atomic uintptr_t pc;
    _Atomic uintptr_t mutex;    /* a condition wait: the mutex it releases */
    _Atomic uint32_t ticket;    /* a condition wait: the condition's `wakes` when it began */
} cw_wait;

typedef struct cw_thread {
    uint32_t index;             /* T<index> in reports; the first thread seen is T0 */
    pid_t tid;
    pthread_t self;
    uint32_t parent;            /* index of the creating thread, or UINT32_MAX */
    uintptr_t start_routine;    /* what the thread runs (0 for the main thread) */
    cw_stack_id create_stack;
    _Atomic int alive;
    /* The fast paths' one test: gate != 0 sends a call to the general path. */
    union {
        struct {
            int depth;          /* > 0 while inside the shim: calls made then are forwarded untouched */
            uint32_t slow;      /* CW_SLOW_*: every call of this thread takes the general path */
        };
        uint64_t gate;
    };
    uint8_t fork_child;         /* the thread that forked, in the child, until the hang watcher runs there */
    uint32_t nheld;
    cw_held_lock held[CW_MAX_HELD];
    cw_wait wait;
    cw_site sites[CW_SITE_CACHE];
    cw_py_site py_sites[CW_PY_SITE_CACHE];
    cw_stack_id py_pending;     /* Python site of a failed trywait, for the blocking wait that follows */
    uintptr_t py_pending_addr;  /* ... on this semaphore (the hang report shows it as the waiter's stack) */
    uintptr_t recording_take;   /* the semaphore this thread just took, while the shim records the take */
    uint32_t nested_takes;      /* takes of it made inside that recording, granted at once (preload) */
    uint32_t cross_posts_seen;  /* cw_cross_posts when this thread last dropped its stale holds */
    struct cw_thread *next_free;
    /* Written by the hang watcher only. */
    uint32_t watch_seq;
    uintptr_t watch_addr;
    uint64_t watch_since_ns;
    /* Filled by the thread itself, in a signal handler, when the watcher asks for its stack. */
    _Atomic int hang_captured;
    int hang_npcs;
    uintptr_t hang_pcs[CW_MAX_FRAMES];
    /* Last, and kept when the slot goes to a new thread: what they say holds
     * for every thread (the graph has those edges), and their pages are only
     * touched once a thread nests locks.
     * Nestings already fully recorded: digests of (held set, lock taken,
     * their locks' retire epochs). */
    uint64_t nested[CW_NESTED_SETS][CW_FP_WAYS];
    /* Edge occurrences (from, to, held set) already given to the graph. */
    uint64_t edges[CW_EDGE_SETS][CW_FP_WAYS];
    /* Lock table slots of addresses this thread used lately (a slot never
     * moves and its address never changes: see events/lock_table.h). */
    struct { uintptr_t addr; struct cw_lock_slot *slot; } slots[1u << CW_SLOT_CACHE_BITS];
} cw_thread;

/* cw_thread.slow: a CPython process, where each call must first be told
 * apart from the interpreter's own (see the preload's cw_enter_from). */
#define CW_SLOW_INTERPRETER 1u
/* cw_thread.slow: the thread attached before the shim was ready (see
 * preload's cw_enter, which clears it once it is). */
#define CW_SLOW_UNREADY 2u
/* cw_thread.slow: the shim turned itself off (common/shim_health.h). */
#define CW_SLOW_OFF 4u
/* cw_thread.slow: the thread that forked, in the child, until its first lock
 * of a process-shared mutex starts the hang watcher there (fork_child; the
 * preload's lock_in_fork_child). */
#define CW_SLOW_FORK_CHILD 8u
/* What cw_thread_attach puts in every new thread's `slow` (CW_SLOW_UNREADY
 * until the shim's start-up sets it). */
extern uint32_t cw_thread_slow_default;

extern __thread cw_thread *cw_tls_self __attribute__((tls_model("initial-exec")));
/* Set for threads the shim must never record: its own watcher, and threads
 * past their exit (TLS destructors still run code that takes locks). */
extern __thread int cw_tls_untracked __attribute__((tls_model("initial-exec")));

/* The calling thread's state, attaching it on first use; NULL when it is not recorded. */
static inline cw_thread *cw_thread_self(void)
{
    cw_thread *t = cw_tls_self;
    if (__builtin_expect(t != NULL, 1))
        return t;
    if (cw_tls_untracked)
        return NULL;
    extern cw_thread *cw_thread_attach(void);
    return cw_thread_attach();
}

void cw_thread_detach(cw_thread *t);

/* Threads of the program the shim knows alive (attached, not yet ended). */
uint32_t cw_thread_live_count(void);
/* Set at start-up in a process built with -fsanitize=thread: every thread
 * that attaches is listed for the launcher (cw_record_thread_id). */
extern bool cw_publish_thread_ids;

/* Snapshot iteration for the hang watcher: calls fn for every live thread. */
void cw_thread_for_each(void (*fn)(cw_thread *, void *), void *arg);
cw_thread *cw_thread_by_tid(pid_t tid);
cw_thread *cw_thread_by_index(uint32_t index);
cw_thread *cw_thread_by_pthread(pthread_t self);

cw_stack_id cw_thread_site_capture(cw_thread *t, uintptr_t pc);

/* Call sites are often a few bytes apart (init then lock, lock then lock):
 * a multiplicative hash keeps neighbours in different cache slots. */
static inline cw_site *cw_thread_site_slot(cw_thread *t, uintptr_t pc)
{
    /* A 32-bit multiplier (one instruction) on the low half: call sites of
     * one program differ there. */
    return &t->sites[(uint32_t)((uint32_t)pc * 0x9e3779b1u) >> (32 - CW_SITE_CACHE_BITS)];
}

/* Stack id of the call site `pc` as seen by this thread: cached per thread, captured on first sight. */
static inline cw_stack_id cw_thread_site_stack(cw_thread *t, uintptr_t pc)
{
    cw_site *s = cw_thread_site_slot(t, pc);
    if (__builtin_expect(s->pc == pc, 1))
        return s->stack;
    return cw_thread_site_capture(t, pc);
}

/* A set of CW_FP_WAYS 64-bit fingerprints (never 0; 0 = empty way). */
static inline bool cw_fp_has(const uint64_t *set, uint64_t fp)
{
    return set[0] == fp || set[1] == fp || set[2] == fp || set[3] == fp;
}

/* Adds fp, pushing out the oldest. */
static inline void cw_fp_put(uint64_t *set, uint64_t fp)
{
    set[3] = set[2];
    set[2] = set[1];
    set[1] = set[0];
    set[0] = fp;
}

void cw_thread_registry_before_fork(void);
void cw_thread_registry_after_fork_parent(void);
void cw_thread_registry_after_fork_child(void);

#endif

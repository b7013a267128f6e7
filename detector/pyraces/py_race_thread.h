/*
 * What the Python race checks keep per thread: whether the thread is
 * traced (3.10, 3.11), its Threading name, a cache of the Python stacks of
 * the places it accesses variables from, and of the locks it holds.
 *
 * A thread's state is made on its first recorded access (mmap, GIL held)
 * and given back when it ends (a pthread key's destructor).  Names and
 * locksets outlive their threads: reports show an access made by a thread
 * that has ended since.
 */
#ifndef CW_PY_RACE_THREAD_H
#define CW_PY_RACE_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "stacks/stack_depot.h"

#define CW_PYR_SITE_CACHE 512
#define CW_PYR_LOCKSET_MAX 6

typedef enum cw_pyr_trace_state {
    CW_PYR_TRACE_NONE = 0,   /* not traced (yet) */
    CW_PYR_TRACE_OURS,       /* our C trace function is the thread's (3.10, 3.11) */
    CW_PYR_TRACE_ASIDE,      /* the program installed its own: concwatch stepped aside */
} cw_pyr_trace_state;

typedef struct cw_pyr_site {
    uintptr_t code, caller_code;
    int offset, caller_instr;
    uint32_t code_deaths;       /* python/py_code_life.h: valid while no tracked code object died */
    cw_stack_id stack;
} cw_pyr_site;

typedef struct cw_pyr_thread {
    uint32_t index;             /* the shim's thread index (T<index> in reports) */
    bool named;                 /* its threading name was looked for */
    uint8_t trace;              /* cw_pyr_trace_state */
    uint64_t lockset_key;       /* the held locks the last lockset was made of */
    uint32_t lockset;
    cw_pyr_site sites[CW_PYR_SITE_CACHE];
} cw_pyr_thread;

extern __thread cw_pyr_thread *cw_pyr_tls __attribute__((tls_model("initial-exec")));

/* The calling thread's state, made on first use; NULL when the shim does not
 * record this thread or memory ran out. */
cw_pyr_thread *cw_pyr_thread_make(void);

static inline cw_pyr_thread *cw_pyr_thread_self(void)
{
    cw_pyr_thread *pt = cw_pyr_tls;
    return __builtin_expect(pt != NULL, 1) ? pt : cw_pyr_thread_make();
}

/* The Python stack of the calling thread, which is at `offset` of `code` in
 * `frame` (the layout's frame): cached by the two innermost frames, so that
 * a place is captured once per thread and caller. */
cw_stack_id cw_pyr_thread_stack(cw_pyr_thread *pt, uintptr_t frame, uintptr_t code, int offset);

/* The locks the calling thread holds now, interned (0: none). */
uint32_t cw_pyr_thread_lockset(cw_pyr_thread *pt);
/* The addresses of an interned lockset; how many. */
int cw_pyr_lockset_locks(uint32_t lockset, uintptr_t *addrs, int max);

/* The helper's thread_name() (py_race_helper.py), set at install. */
void cw_pyr_thread_set_name_fn(void *fn);
/* The thread's threading.Thread name (GIL held: read once per thread). */
void cw_pyr_thread_learn_name(cw_pyr_thread *pt);
/* The name of thread `index`, or NULL. */
const char *cw_pyr_thread_name(uint32_t index);

/* fork(), in the child: the other threads' states are gone with them. */
void cw_pyr_thread_after_fork_child(void);

#endif

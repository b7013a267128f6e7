/*
 * A thread of the program seen blocked by the hang watcher, and what it
 * waits for: shared by the watcher (which decides that the program hangs)
 * and the hang report (which tells the user).
 */
#ifndef CW_BLOCKED_H
#define CW_BLOCKED_H

#include <stdbool.h>
#include <stdint.h>

#include "events/thread_state.h"

typedef struct cw_blocked {
    cw_thread *t;
    uintptr_t addr;
    uint32_t kind;             /* cw_lock_kind, without the timed flag */
    bool timed;
    uint64_t since_ns;
    cw_thread *holder;         /* who can release it, when known */
    bool holder_certain;       /* only the holder can release it (mutex, write lock, spin, join) */
    bool library_wait;         /* a Python thread parked inside threading.py (Condition machinery) */
    bool python_join;          /* a Python thread in Thread.join (waits on the joined thread's state lock) */
    bool python_exit;          /* ... in threading._shutdown: the main thread, at exit, joining the others */
} cw_blocked;

#endif

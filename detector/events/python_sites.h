/*
 * Where a CPython program makes and takes its locks: the Python call site of
 * a semaphore operation made by the interpreter on behalf of a Python Lock.
 *
 * CPython's threading.Lock is a POSIX semaphore; its acquire shows up in the
 * shim as a sem_trywait or sem_wait made by the interpreter.  The call site
 * the user can act on is the Python frame making it, read with the GIL held
 * through the runtime binding (python/).  That site also tells
 *   - what kind of acquire it was, which the semaphore call alone cannot:
 *     acquire(False) makes the same trywait as a blocking acquire of a free
 *     lock (python/py_bytecode.h);
 *   - what the user made, for a lock being made: Lock, RLock, Condition...
 *     (python/py_lock_types.h);
 *   - whether it is threading's acquire of the lock a thread holds for its
 *     whole life.
 *
 * A site is the innermost user frame with the library frames inside it
 * (threading.py, queue.py): every Queue.get() waits at the same line of
 * threading.py, but each call site of get() is a site of its own.  Sites
 * are cached per thread, so only the first acquire at a site pays for the
 * capture.
 */
#ifndef CW_PYTHON_SITES_H
#define CW_PYTHON_SITES_H

#include <stdbool.h>
#include <stdint.h>

#include "thread_state.h"

/* Start-up: binds the CPython runtime (python/py_runtime.h); false outside CPython. */
bool cw_python_sites_init(void);

typedef struct cw_python_site {
    cw_stack_id stack;          /* the Python stack (CW_PYTHON_STACK_BIT), 0: none */
    bool nonblocking;           /* acquire(False), acquire(blocking=False), acquire(timeout=0) */
    bool thread_lifetime;       /* threading's acquire of the thread's state lock (Thread._set_tstate_lock) */
    uint8_t lock_type;          /* what a lock made here is (cw_py_lock_type), 0: not known */
    bool waiter;                /* a lock made here is Condition.wait's waiter (python/py_lock_types.h) */
    bool internal;              /* a lock made here is the runtime's bookkeeping (cw_py_makes_internal_lock) */
} cw_python_site;

/* The calling thread's current Python site.  False (and *site zeroed) when
 * the thread does not hold the GIL (its frames cannot be read safely then)
 * or has no Python frame. */
bool cw_python_site_here(cw_thread *t, cw_python_site *site);

#endif

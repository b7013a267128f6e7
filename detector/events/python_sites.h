/*
 * Where a CPython program takes its locks: the Python call site of a
 * semaphore operation made by the interpreter on behalf of a Python Lock.
 *
 * CPython's threading.Lock is a POSIX semaphore; its acquire shows up in the
 * shim as a sem_trywait or sem_wait made by the interpreter.  The call site
 * the user can act on is the Python frame making it, read with the GIL held
 * through CPython's public frame API (PyEval_GetFrame, PyFrame_GetCode,
 * PyFrame_GetLasti).  That site also tells what kind of acquire it was,
 * which the semaphore call alone cannot: acquire(False) makes the same
 * trywait as a blocking acquire of a free lock.
 */
#ifndef CW_PYTHON_SITES_H
#define CW_PYTHON_SITES_H

#include <stdbool.h>

#include "thread_state.h"

/* Resolves the interpreter entry points used below; false outside CPython. */
bool cw_python_sites_init(void);

/* The Python stack of the calling thread's current acquire site, cached per
 * thread by (code object, bytecode offset) so that only the first acquire at
 * a site pays for the capture.  0 when the thread does not hold the GIL (its
 * frames cannot be read safely then) or has no Python frame.
 * *nonblocking tells whether the Python call at that site is a
 * non-blocking acquire (acquire(False), acquire(blocking=False),
 * acquire(timeout=0)); read from CPython 3.11 bytecode only.
 * *thread_lifetime (may be NULL): the site is threading's own acquire of the
 * lock a thread holds for its whole life (Thread._set_tstate_lock). */
cw_stack_id cw_python_site_stack(cw_thread *t, bool *nonblocking, bool *thread_lifetime);

#endif

/*
 * What a CPython lock is to the user who made it: a Lock, an RLock, the
 * lock inside a Condition, Semaphore, BoundedSemaphore, Event, Barrier or
 * queue.Queue, or a Thread's own.  Every one of them is a POSIX semaphore
 * underneath (_thread.lock); a report that says "semaphore M1" names none
 * of them.
 *
 * Told from the Python frames that made the lock.  threading.Lock() is C
 * code: made straight from the user's frame, it is a Lock.  The others are
 * threading.py (or queue.py) code making a Lock or an RLock for the object
 * being built: the innermost frames are the library's ("library frames",
 * by file name), and the outermost of them that is a known constructor or
 * wait (by code object identity, looked up in the threading and queue
 * modules once they are imported) names the object: RLock() inside
 * Condition.__init__ is a Condition; Condition.wait's waiter lock, inside
 * Queue.get, is the Queue's.
 *
 * Every function here needs the GIL.
 */
#ifndef CW_PY_LOCK_TYPES_H
#define CW_PY_LOCK_TYPES_H

#include <stdbool.h>

#include "py_frames.h"

typedef enum cw_py_lock_type {
    CW_PY_NONE = 0,          /* not made from Python code */
    CW_PY_LOCK,
    CW_PY_RLOCK,
    CW_PY_CONDITION,
    CW_PY_SEMAPHORE,
    CW_PY_BOUNDED_SEMAPHORE,
    CW_PY_EVENT,
    CW_PY_BARRIER,
    CW_PY_QUEUE,
    CW_PY_THREAD,
} cw_py_lock_type;

/* "Lock", "RLock", ...; NULL for CW_PY_NONE. */
const char *cw_py_lock_type_name(int type);

/* How many of the innermost frames are the threading library's own
 * (threading.py, queue.py). */
int cw_py_library_frames(const cw_py_frame_ref *frames, int n);

/* The type of a lock made with `frames` (innermost first) on the stack, of
 * which the first `library` are library frames. */
cw_py_lock_type cw_py_lock_type_of(const cw_py_frame_ref *frames, int n, int library);

/* The frame is Condition.wait making its waiter: a Lock the waiting thread
 * takes, then waits on again until notify() releases it.  A signal, not a
 * lock (Event, Queue, Semaphore and Barrier waits are Condition waits). */
bool cw_py_makes_waiter(const cw_py_frame_ref *frame);

/* A lock made with `frames` on the stack (the first `library` of them the
 * library's) is the runtime's bookkeeping, not the program's: made by
 * threading's module code (_active_limbo_lock and _shutdown_locks_lock,
 * which every thread's start and end pass through, and the main thread's
 * own) or by importlib (a module's import lock).  It orders nothing the
 * program asked for: the Python race checks take no happens-before from it
 * (else two threads that merely start, end or import one after the other
 * would look ordered, and a race be found only in some runs). */
bool cw_py_makes_internal_lock(const cw_py_frame_ref *frames, int n, int library);

/* The calling thread (holding the GIL) is in Thread.join: *ident is the
 * thread it joins (its pthread_t).  3.12+ (PyFrame_GetVar); 3.13 parks a
 * join in its parking lot, on a semaphore made for the wait. */
bool cw_py_joined_thread(unsigned long *ident);

/* The frame is threading's acquire of the lock a thread holds from its start
 * to its end (3.10-3.12: what join() waits on): in Thread._set_tstate_lock
 * when the thread starts, in Thread._reset_internal_locks in the child of a
 * fork, each time right after the lock was made. */
bool cw_py_is_thread_lifetime_acquire(const cw_py_frame_ref *frame);

#endif

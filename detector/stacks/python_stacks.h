/*
 * Python stacks of a CPython program's threads: the frames (file, line,
 * function) that a report about a Python program must show, since its
 * native frames are the interpreter's own.
 *
 * The frames come from the runtime binding (python/py_frames.h), on every
 * supported CPython (3.10 to 3.13):
 *   - the calling thread, which must hold the GIL, as a thread making or
 *     taking a Python lock does; interned like native stacks;
 *   - every thread at once, without the GIL, for the hang watcher: the
 *     interpreter is stuck and no thread may be asked for anything.
 *     CPython's thread ident is the thread's pthread_t, which maps it to
 *     ours.  Where the binding cannot read other threads' frames (a version
 *     whose layout is unknown), CPython's own faulthandler writer is used
 *     when it is exported (3.11 and 3.12 only).
 * Both are kept as text, '  File "f.py", line N in func' lines as
 * faulthandler writes them, read back with cw_python_frame_next, innermost
 * first.
 */
#ifndef CW_PYTHON_STACKS_H
#define CW_PYTHON_STACKS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "stack_depot.h"
#include "python/py_frames.h"

typedef struct cw_python_frame {
    char file[512];
    int line;
    char function[128];
} cw_python_frame;

/* Reads the frame line at *cursor and moves past it; false at the end. */
bool cw_python_frame_next(const char **cursor, cw_python_frame *f);

/* ---- every thread of a (hung) interpreter ---- */

typedef struct cw_python_stacks {
    char *text;
    size_t len;
} cw_python_stacks;

/* False when this is not a CPython process (or the dump failed). */
bool cw_python_stacks_dump(cw_python_stacks *out);
/* The frame lines of `thread` in the dump (for cw_python_frame_next), NULL if it has none. */
const char *cw_python_stacks_of(const cw_python_stacks *py, pthread_t thread);
void cw_python_stacks_free(cw_python_stacks *py);

/* ---- the calling thread, interned ---- */

/* The calling thread's Python stack right now (it must hold the GIL),
 * interned: the id has CW_PYTHON_STACK_BIT set and is accepted wherever a
 * native stack id is.  0 when this is not CPython or there are no frames. */
#define CW_PYTHON_STACK_BIT 0x80000000u
cw_stack_id cw_python_stack_capture(void);
/* The same from frames the caller has walked already (py_frames.h), innermost first. */
cw_stack_id cw_python_stack_of_frames(const cw_py_frame_ref *frames, int n);
/* The frame lines of an interned Python stack (for cw_python_frame_next); NULL for other ids. */
const char *cw_python_stack_text(cw_stack_id id);

#endif

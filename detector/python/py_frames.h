/*
 * The Python frames of a thread: which code object each one runs and at
 * which instruction, innermost first, and their file, function and line.
 *
 * Two walks:
 *   - the calling thread, which holds the GIL (a Python Lock being made or
 *     taken): through the struct fields of cw_py.layout with plain loads,
 *     the frames being the thread's own and stable while it runs C code; or
 *     through CPython's public frame API (PyEval_GetFrame, PyFrame_GetBack,
 *     PyFrame_GetCode, PyFrame_GetLasti) when the layout is off.  The first
 *     walk that finds frames makes both and compares them: any difference
 *     rejects the layout for the rest of the run (cw_py_layout_reject).
 *   - every thread of every interpreter, without the GIL, as faulthandler
 *     does, for the hang watcher: the program is hung, but a thread outside
 *     the hang may still run and change its frames under the reader, so
 *     every load is a cw_safe_read (a torn or freed pointer fails instead of
 *     faulting), every code and str object is checked to be one before it is
 *     used, and every loop is bounded.
 */
#ifndef CW_PY_FRAMES_H
#define CW_PY_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cw_py_frame_ref {
    uintptr_t code;     /* the code object (PyCodeObject *) */
    int lasti;          /* byte offset of its current instruction; -1 before the first */
    uintptr_t frame;    /* the frame itself (3.10 PyFrameObject, 3.11+ _PyInterpreterFrame),
                           read with the layout; 0 from an API walk */
} cw_py_frame_ref;

/* Deepest stack walked; deeper frames (the outermost ones) are left out. */
#define CW_PY_MAX_FRAMES 96

/* The calling thread's frames, innermost first, at most max of them.  The
 * caller holds the GIL (cw_py_holds_gil) and, when the layout is off, has
 * called cw_py_api_begin. */
int cw_py_current_frames(cw_py_frame_ref *out, int max);

/* Every thread state of every interpreter, read without the GIL: fn gets the
 * thread's pthread_t (CPython's thread ident) and its frames.  False when
 * direct reads are off (nothing was called). */
typedef void cw_py_thread_fn(unsigned long thread, const cw_py_frame_ref *frames, int n, void *arg);
bool cw_py_each_thread(cw_py_thread_fn *fn, void *arg);

typedef struct cw_py_frame_text {
    char file[512];
    char function[128];
    int line;
} cw_py_frame_text;

/* File, function and line of a frame ("?" for what cannot be read).  `gil`:
 * the caller holds the GIL and the frame is its own (cw_py_api_begin called
 * when the layout is off); else every read is a safe one. */
void cw_py_frame_describe(const cw_py_frame_ref *f, bool gil, cw_py_frame_text *out);

/* The code object's file name ends with `suffix` ("/threading.py").  GIL held. */
bool cw_py_code_file_is(uintptr_t code, const char *suffix);
/* Its file name starts with `prefix` ("<frozen importlib").  GIL held. */
bool cw_py_code_file_starts(uintptr_t code, const char *prefix);
/* Its function name is `name` ("<module>").  GIL held. */
bool cw_py_code_name_is(uintptr_t code, const char *name);

#endif

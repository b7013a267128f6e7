/*
 * The CPython runtime the shim finds itself loaded into: which version, its
 * public C API, and the few struct fields read directly.
 *
 * The shim is preloaded into every process of a run (shells, compilers,
 * python3), so it never links against libpython nor refers to any of its
 * symbols at load time: everything is looked up with dlsym at start-up, and
 * only when the process turns out to be CPython (its executable, or a
 * library it was linked with, exports Py_IsInitialized; Debian's python3 is
 * one static executable, pyenv's a small one on libpython3.X.so).
 *
 * Two ways in, and who may use them:
 *   - the public C API (cw_py.api), by a thread that holds the GIL
 *     (cw_py_holds_gil), always inside cw_py_api_begin/end so that an
 *     exception the program has pending is kept, not cleared or replaced;
 *   - struct fields read at the offsets of cw_py.layout, one row per
 *     version in a table (py_runtime.c): what the API cannot do (read a
 *     thread's frames without the GIL, for the hang watcher) or does slowly
 *     (an allocation per frame).  The row is checked against the API the
 *     first time a thread holding the GIL walks its frames (py_frames.h);
 *     a version without a row (3.14, a free-threaded build) or a row that
 *     fails the check turns the direct reads off, with one line on stderr.
 *
 * Supported: CPython 3.10 to 3.13, GIL builds.  Other versions get what the
 * public API gives (the calling thread's stack); what needs the table or the
 * bytecode decoder (py_bytecode.h) is off, each with its line.
 */
#ifndef CW_PY_RUNTIME_H
#define CW_PY_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Offsets (bytes) of the fields read directly; -1 where the version has none. */
typedef struct cw_py_layout {
    unsigned version;           /* 0x030A for 3.10 */
    /* PyThreadState */
    int tstate_next;            /* next thread state of the interpreter */
    int tstate_thread_id;       /* the thread's pthread_t (threading.get_ident()) */
    int tstate_frame;           /* 3.10 frame, 3.11-3.12 cframe, 3.13 current_frame */
    int cframe_frame;           /* 3.11-3.12: _PyCFrame.current_frame; -1 */
    /* frames: 3.10 PyFrameObject, 3.11+ _PyInterpreterFrame */
    int frame_code;             /* f_code (3.13 f_executable) */
    int frame_previous;         /* f_back (3.10) / previous */
    int frame_instr;            /* 3.10 f_lasti (int, in instructions); prev_instr / instr_ptr */
    int frame_owner;            /* 3.11+: owner (char); -1 */
    int owner_generator;        /* FRAME_OWNED_BY_GENERATOR; -1 */
    int owner_cstack;           /* FRAME_OWNED_BY_CSTACK (3.12+, a C entry frame); -1 */
    /* PyCodeObject */
    int code_filename, code_name;
    int code_adaptive;          /* 3.11+: co_code_adaptive, the instructions; -1 */
    int code_firsttraceable;    /* 3.11+: _co_firsttraceable (int); -1 */
    /* str (PyASCIIObject / PyCompactUnicodeObject) */
    int unicode_length, unicode_state, ascii_size, compact_size;
    /* The Python race checks (detector/pyraces/) read the operands of the
     * instruction about to run, and what a frame's globals and locals are: */
    int frame_globals, frame_locals;
    int frame_localsplus;       /* the frame's locals, then its value stack (3.10: f_localsplus) */
    int frame_stacktop;         /* int: 3.10 f_stackdepth (from f_valuestack), 3.11+ stacktop (from localsplus) */
    int frame_valuestack;       /* 3.10: f_valuestack (PyObject **); -1 */
    int pyframe_frame;          /* 3.11+: PyFrameObject.f_frame, its _PyInterpreterFrame; -1 */
    int pyframe_trace_lines, pyframe_trace_opcodes;   /* PyFrameObject's char flags */
    int code_nlocalsplus;       /* 3.11+: int co_nlocalsplus; -1 */
    int descr_method;           /* PyMethodDescrObject.d_method (PyMethodDef *) */
    int cfunc_ml, cfunc_self;   /* PyCFunctionObject.m_ml, m_self */
    int type_dealloc;           /* PyTypeObject.tp_dealloc */
    int tstate_c_recursion;     /* 3.13+: int PyThreadState.c_recursion_remaining (its trashcan's depth); -1 */
    /* Before an object in its allocation: the GC header (types with
     * Py_TPFLAGS_HAVE_GC), then two words for types with any of these
     * flags (3.11 managed dict, 3.12+ managed dict or weakref list). */
    int gc_head_size, preheader_flags;
} cw_py_layout;

/* The public C API used, by dlsym.  PyObject * is void * here. */
typedef struct cw_py_api {
    int (*Py_IsInitialized)(void);
    void *(*current_tstate)(void);              /* _PyThreadState_UncheckedGet, 3.13 PyThreadState_GetUnchecked */
    void *(*PyGILState_GetThisThreadState)(void);
    void *(*PyEval_GetFrame)(void);             /* borrowed */
    void *(*PyFrame_GetBack)(void *);           /* new reference */
    void *(*PyFrame_GetCode)(void *);           /* new reference */
    int (*PyFrame_GetLasti)(void *);            /* 3.11+; NULL on 3.10 (the f_lasti attribute) */
    void *(*PyFrame_GetVar)(void *, void *);    /* 3.12+ (new reference; name is a str); else NULL */
    void *(*PyUnicode_FromString)(const char *);
    unsigned long (*PyLong_AsUnsignedLong)(void *);
    int (*PyCode_Addr2Line)(void *, int);       /* no GIL needed: reads the code's line table */
    void *(*PyInterpreterState_Head)(void);     /* these three only read a field: no GIL needed */
    void *(*PyInterpreterState_Next)(void *);
    void *(*PyInterpreterState_ThreadHead)(void *);
    void *(*PyObject_GetAttrString)(void *, const char *);
    int (*PyObject_IsTrue)(void *);
    const char *(*PyUnicode_AsUTF8)(void *);
    char *(*PyBytes_AsString)(void *);
    ssize_t (*PyBytes_Size)(void *);
    void *(*PyTuple_GetItem)(void *, ssize_t);  /* borrowed */
    ssize_t (*PyTuple_Size)(void *);
    long (*PyLong_AsLong)(void *);
    void *(*PySys_GetObject)(const char *);     /* borrowed */
    void *(*PyDict_GetItemString)(void *, const char *);   /* borrowed */
    void (*Py_IncRef)(void *);
    void (*Py_DecRef)(void *);
    void (*PyErr_Fetch)(void **, void **, void **);
    void (*PyErr_Restore)(void *, void *, void *);
    void (*PyErr_Clear)(void);
    /* Optional (NULL when missing; py_code_life.c checks): */
    int (*RequestCodeExtraIndex)(void (*)(void *));   /* 3.12 PyUnstable_Eval_..., before _PyEval_... */
    int (*Code_GetExtra)(void *, ssize_t, void **);
    int (*Code_SetExtra)(void *, ssize_t, void *);
    void *(*PyInterpreterState_Get)(void);
    void *(*PyInterpreterState_Main)(void);
    void *PyCode_Type, *PyUnicode_Type;         /* the type objects' addresses */
} cw_py_api;

typedef struct cw_py_runtime {
    unsigned version;           /* 0x030A for 3.10; 0: not a CPython process (or too old) */
    char version_text[24];      /* "3.10.13" */
    bool api;                   /* every function of cw_py_api was found */
    bool free_threaded;         /* a 3.13t build: PyObject is laid out differently */
    const cw_py_layout *layout; /* NULL: no direct reads (unknown version, or the check failed) */
} cw_py_runtime;

extern cw_py_runtime cw_py;
extern cw_py_api cw_py_fn;

/* Start-up (before the interpreter runs): finds the runtime; false when this
 * is not a CPython process.  Prints nothing unless CONCWATCH_PYTHON_DEBUG. */
bool cw_py_init(void);

/* The calling thread holds the GIL of an initialised interpreter, so it may
 * call the API and read its own frames. */
bool cw_py_holds_gil(void);

/* The program's pending exception, kept aside while the shim calls the API. */
typedef struct cw_py_saved_error {
    void *type, *value, *traceback;
} cw_py_saved_error;

static inline void cw_py_api_begin(cw_py_saved_error *e)
{
    cw_py_fn.PyErr_Fetch(&e->type, &e->value, &e->traceback);
}

static inline void cw_py_api_end(cw_py_saved_error *e)
{
    cw_py_fn.PyErr_Clear();   /* whatever the shim's own calls raised */
    cw_py_fn.PyErr_Restore(e->type, e->value, e->traceback);
}

/* A feature that cannot work with this runtime is turned off: one line on
 * stderr, once per feature ("concwatch: CPython 3.14.0: <what> off (<why>)"). */
void cw_py_feature_off(const char *what, const char *why);

/* The direct reads failed their check: off from now on. */
void cw_py_layout_reject(const char *why);

/* CONCWATCH_PYTHON_DEBUG=1: one line about the runtime's state on stderr. */
void cw_py_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

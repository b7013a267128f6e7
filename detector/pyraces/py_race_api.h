/*
 * The part of CPython's C API the Python race checks use beyond the
 * binding's (python/py_runtime.h), found the same way: dlsym, only in a
 * CPython process, never a symbol named at load time.  PyObject * is
 * void * here, as there.
 *
 * Every function needs the GIL.  Functions renamed between versions
 * (3.12's PyUnstable_ names for the code-object extras) are looked up
 * under each name.
 *
 * Also the few object facts read directly, each from the version's layout
 * row (cw_py.layout): an object's type, a method descriptor's PyMethodDef,
 * a builtin method's PyMethodDef and self.
 */
#ifndef CW_PY_RACE_API_H
#define CW_PY_RACE_API_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "python/py_runtime.h"

/* The allocator functions of a memory domain (PyMemAllocatorEx). */
typedef struct cw_pyr_allocator {
    void *ctx;
    void *(*malloc)(void *ctx, size_t size);
    void *(*calloc)(void *ctx, size_t nelem, size_t elsize);
    void *(*realloc)(void *ctx, void *ptr, size_t new_size);
    void (*free)(void *ctx, void *ptr);
} cw_pyr_allocator;

#define CW_PYMEM_DOMAIN_OBJ 2

/* PyTrace_* (3.10, 3.11 C tracing) */
#define CW_PYTRACE_CALL 0
#define CW_PYTRACE_OPCODE 7

/* Type slot ids of PyType_GetSlot (typeslots.h, stable ABI). */
#define CW_PY_MP_ASS_SUBSCRIPT 3
#define CW_PY_MP_SUBSCRIPT 5
#define CW_PY_TP_DESCR_SET 55
#define CW_PY_TP_GETATTRO 58
#define CW_PY_TP_SETATTRO 69

#define CW_PY_TPFLAGS_HAVE_GC (1ul << 14)

typedef int (*cw_py_tracefunc)(void *obj, void *frame, int what, void *arg);

typedef struct cw_pyr_api {
    void *(*Py_CompileString)(const char *, const char *, int);
    void *(*PyEval_EvalCode)(void *, void *, void *);
    void *(*PyEval_GetBuiltins)(void);   /* borrowed */
    void *(*PyDict_New)(void);
    int (*PyDict_SetItemString)(void *, const char *, void *);
    void *(*PyDict_GetItemWithError)(void *, void *);   /* borrowed */
    void *(*PyObject_CallFunctionObjArgs)(void *, ...);
    void *(*PyObject_CallNoArgs)(void *);
    void *(*PyCFunction_NewEx)(void *, void *, void *);
    void *(*PyLong_FromLong)(long);
    ssize_t (*PyLong_AsSsize_t)(void *);
    ssize_t (*PyObject_Hash)(void *);
    void *(*PyList_GetItem)(void *, ssize_t);   /* borrowed */
    ssize_t (*PyList_Size)(void *);
    void (*PyEval_SetTrace)(cw_py_tracefunc, void *);
    int (*PySys_AddAuditHook)(int (*)(const char *, void *, void *), void *);
    void (*PyMem_GetAllocator)(int, cw_pyr_allocator *);
    void (*PyMem_SetAllocator)(int, cw_pyr_allocator *);
    int (*Py_AddPendingCall)(int (*)(void *), void *);
    void *(*_PyType_Lookup)(void *, void *);     /* borrowed, no exception */
    void *(*PyType_GetSlot)(void *, int);
    unsigned long (*PyType_GetFlags)(void *);
    int (*PyType_IsSubtype)(void *, void *);
    void *(*PyImport_ImportModule)(const char *);
    void *(*PyModule_GetDict)(void *);          /* borrowed */
    void *(*PyUnicode_InternFromString)(const char *);
    void *(*PyErr_Occurred)(void);
    void *(*PyObject_GetAttrString)(void *, const char *);
    void *PyDict_Type, *PyList_Type, *PyModule_Type, *PyType_Type, *PyMethodDescr_Type, *PyCFunction_Type,
        *PyMemberDescr_Type, *PyFunction_Type, *PyLong_Type, *PyBool_Type, *PyFloat_Type, *PyBytes_Type,
        *PyTuple_Type, *PySlice_Type, *PyNone, *PyTrue;
    void *PyObject_GenericGetAttr, *PyObject_GenericSetAttr;   /* the functions' addresses */
    /* The trashcan, which a wrapped tp_dealloc must run itself
     * (py_race_shadow.c); optional: NULL where the version has not got it. */
    void *(*PyThreadState_Get)(void);
    void (*PyObject_GC_UnTrack)(void *);
    int (*PyTrash_begin)(void *, void *);                  /* 3.10-3.12 _PyTrash_begin(tstate, op) */
    void (*PyTrash_end)(void *);                           /* 3.10-3.12 _PyTrash_end(tstate) */
    void (*PyTrash_thread_deposit_object)(void *, void *); /* 3.13 (tstate, op) */
} cw_pyr_api;

extern cw_pyr_api cw_pyr_fn;

/* Finds everything (after cw_py_init found the runtime); false, with the
 * name of the first missing function in *missing, when something is not
 * there. */
bool cw_pyr_api_init(const char **missing);

/* ---- objects (GIL held; the layout row is there) ------------------------- */

static inline void *cw_pyr_type(const void *obj)
{
    return *(void *const *)((const char *)obj + sizeof(void *));   /* ob_type, after ob_refcnt */
}

static inline bool cw_pyr_is(const void *obj, const void *type)
{
    return obj && cw_pyr_type(obj) == type;
}

static inline void *cw_pyr_field(const void *obj, int offset)
{
    return *(void *const *)((const char *)obj + offset);
}

#endif

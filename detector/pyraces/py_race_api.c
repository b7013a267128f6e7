#define _GNU_SOURCE
#include "py_race_api.h"

#include <dlfcn.h>
#include <stddef.h>

cw_pyr_api cw_pyr_fn;

static void *find(const char *name, const char **missing)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    if (!p && !*missing)
        *missing = name;
    return p;
}

#define FIND(field, name) (*(void **)&cw_pyr_fn.field = find(name, missing))

bool cw_pyr_api_init(const char **missing)
{
    *missing = NULL;
    FIND(Py_CompileString, "Py_CompileString");
    FIND(PyEval_EvalCode, "PyEval_EvalCode");
    FIND(PyEval_GetBuiltins, "PyEval_GetBuiltins");
    FIND(PyDict_New, "PyDict_New");
    FIND(PyDict_SetItemString, "PyDict_SetItemString");
    FIND(PyDict_GetItemWithError, "PyDict_GetItemWithError");
    FIND(PyObject_CallFunctionObjArgs, "PyObject_CallFunctionObjArgs");
    FIND(PyObject_CallNoArgs, "PyObject_CallNoArgs");
    FIND(PyCFunction_NewEx, "PyCFunction_NewEx");
    FIND(PyLong_FromLong, "PyLong_FromLong");
    FIND(PyLong_AsSsize_t, "PyLong_AsSsize_t");
    FIND(PyObject_Hash, "PyObject_Hash");
    FIND(PyList_GetItem, "PyList_GetItem");
    FIND(PyList_Size, "PyList_Size");
    FIND(PyEval_SetTrace, "PyEval_SetTrace");
    /* The code-extra functions are python/'s (cw_py_fn), optional there. */
    if (!cw_py_fn.RequestCodeExtraIndex && !*missing)
        *missing = "PyUnstable_Eval_RequestCodeExtraIndex";
    if (!cw_py_fn.Code_GetExtra && !*missing)
        *missing = "PyUnstable_Code_GetExtra";
    if (!cw_py_fn.Code_SetExtra && !*missing)
        *missing = "PyUnstable_Code_SetExtra";
    FIND(PySys_AddAuditHook, "PySys_AddAuditHook");
    FIND(PyMem_GetAllocator, "PyMem_GetAllocator");
    FIND(PyMem_SetAllocator, "PyMem_SetAllocator");
    FIND(Py_AddPendingCall, "Py_AddPendingCall");
    FIND(_PyType_Lookup, "_PyType_Lookup");
    FIND(PyType_GetSlot, "PyType_GetSlot");
    FIND(PyType_GetFlags, "PyType_GetFlags");
    FIND(PyType_IsSubtype, "PyType_IsSubtype");
    FIND(PyImport_ImportModule, "PyImport_ImportModule");
    FIND(PyModule_GetDict, "PyModule_GetDict");
    FIND(PyUnicode_InternFromString, "PyUnicode_InternFromString");
    FIND(PyErr_Occurred, "PyErr_Occurred");
    FIND(PyObject_GetAttrString, "PyObject_GetAttrString");
    FIND(PyDict_Type, "PyDict_Type");
    FIND(PyList_Type, "PyList_Type");
    FIND(PyModule_Type, "PyModule_Type");
    FIND(PyType_Type, "PyType_Type");
    FIND(PyMethodDescr_Type, "PyMethodDescr_Type");
    FIND(PyCFunction_Type, "PyCFunction_Type");
    FIND(PyMemberDescr_Type, "PyMemberDescr_Type");
    FIND(PyFunction_Type, "PyFunction_Type");
    FIND(PyLong_Type, "PyLong_Type");
    FIND(PyBool_Type, "PyBool_Type");
    FIND(PyFloat_Type, "PyFloat_Type");
    FIND(PyBytes_Type, "PyBytes_Type");
    FIND(PyTuple_Type, "PyTuple_Type");
    FIND(PySlice_Type, "PySlice_Type");
    FIND(PyNone, "_Py_NoneStruct");
    FIND(PyTrue, "_Py_TrueStruct");
    FIND(PyObject_GenericGetAttr, "PyObject_GenericGetAttr");
    FIND(PyObject_GenericSetAttr, "PyObject_GenericSetAttr");
    FIND(PyThreadState_Get, "PyThreadState_Get");
    FIND(PyObject_GC_UnTrack, "PyObject_GC_UnTrack");
    if (cw_py.version < 0x030D) {   /* 3.13 keeps these two as no-ops */
        *(void **)&cw_pyr_fn.PyTrash_begin = dlsym(RTLD_DEFAULT, "_PyTrash_begin");
        *(void **)&cw_pyr_fn.PyTrash_end = dlsym(RTLD_DEFAULT, "_PyTrash_end");
    } else {
        *(void **)&cw_pyr_fn.PyTrash_thread_deposit_object = dlsym(RTLD_DEFAULT, "_PyTrash_thread_deposit_object");
    }
    return *missing == NULL;
}

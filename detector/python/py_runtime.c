#define _GNU_SOURCE
#include "py_runtime.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/shim_flags.h"

cw_py_runtime cw_py;
cw_py_api cw_py_fn;

/*
 * One row per version, from the release headers of 3.10.13, 3.11.7, 3.12.1
 * and 3.13.0 (offsetof on PyThreadState, _PyCFrame, _PyInterpreterFrame /
 * PyFrameObject, PyCodeObject, PyASCIIObject, PyCompactUnicodeObject, with
 * Py_BUILD_CORE; tests/python/layout_check.c prints them).  These structs
 * are internal and may change in any release, patch releases included: the
 * row is only trusted after py_frames.c has compared it with the public API.
 */
static const cw_py_layout layouts[] = {
    {
        .version = 0x030A,
        .tstate_next = 8, .tstate_thread_id = 176, .tstate_frame = 24, .cframe_frame = -1,
        .frame_code = 32, .frame_previous = 24, .frame_instr = 96, .frame_owner = -1,
        .owner_generator = -1, .owner_cstack = -1,
        .code_filename = 104, .code_name = 112, .code_adaptive = -1, .code_firsttraceable = -1,
        .unicode_length = 16, .unicode_state = 32, .ascii_size = 48, .compact_size = 72,
        .frame_globals = 48, .frame_locals = 56, .frame_localsplus = 352, .frame_stacktop = 80,
        .frame_valuestack = 64, .pyframe_frame = -1, .pyframe_trace_lines = 84, .pyframe_trace_opcodes = 85,
        .code_nlocalsplus = -1, .descr_method = 40, .cfunc_ml = 16, .cfunc_self = 24, .type_dealloc = 48, .tstate_c_recursion = -1,
        .gc_head_size = 16, .preheader_flags = 0,
    },
    {
        .version = 0x030B,
        .tstate_next = 8, .tstate_thread_id = 152, .tstate_frame = 56, .cframe_frame = 8,
        .frame_code = 32, .frame_previous = 48, .frame_instr = 56, .frame_owner = 69,
        .owner_generator = 1, .owner_cstack = -1,
        .code_filename = 112, .code_name = 120, .code_adaptive = 184, .code_firsttraceable = 168,
        .unicode_length = 16, .unicode_state = 32, .ascii_size = 48, .compact_size = 72,
        .frame_globals = 8, .frame_locals = 24, .frame_localsplus = 72, .frame_stacktop = 64,
        .frame_valuestack = -1, .pyframe_frame = 24, .pyframe_trace_lines = 44, .pyframe_trace_opcodes = 45,
        .code_nlocalsplus = 76, .descr_method = 40, .cfunc_ml = 16, .cfunc_self = 24, .type_dealloc = 48, .tstate_c_recursion = -1,
        .gc_head_size = 16, .preheader_flags = 16,
    },
    {
        .version = 0x030C,
        .tstate_next = 8, .tstate_thread_id = 136, .tstate_frame = 56, .cframe_frame = 0,
        .frame_code = 0, .frame_previous = 8, .frame_instr = 56, .frame_owner = 70,
        .owner_generator = 1, .owner_cstack = 3,
        .code_filename = 112, .code_name = 120, .code_adaptive = 192, .code_firsttraceable = 176,
        .unicode_length = 16, .unicode_state = 32, .ascii_size = 40, .compact_size = 56,
        .frame_globals = 24, .frame_locals = 40, .frame_localsplus = 72, .frame_stacktop = 64,
        .frame_valuestack = -1, .pyframe_frame = 24, .pyframe_trace_lines = 44, .pyframe_trace_opcodes = 45,
        .code_nlocalsplus = 72, .descr_method = 40, .cfunc_ml = 16, .cfunc_self = 24, .type_dealloc = 48, .tstate_c_recursion = -1,
        .gc_head_size = 16, .preheader_flags = 24,
    },
    {
        .version = 0x030D,
        .tstate_next = 8, .tstate_thread_id = 152, .tstate_frame = 72, .cframe_frame = -1,
        .frame_code = 0, .frame_previous = 8, .frame_instr = 56, .frame_owner = 70,
        .owner_generator = 1, .owner_cstack = 3,
        .code_filename = 112, .code_name = 120, .code_adaptive = 200, .code_firsttraceable = 184,
        .unicode_length = 16, .unicode_state = 32, .ascii_size = 40, .compact_size = 56,
        .frame_globals = 24, .frame_locals = 40, .frame_localsplus = 72, .frame_stacktop = 64,
        .frame_valuestack = -1, .pyframe_frame = 24, .pyframe_trace_lines = 44, .pyframe_trace_opcodes = 45,
        .code_nlocalsplus = 72, .descr_method = 40, .cfunc_ml = 16, .cfunc_self = 24, .type_dealloc = 48, .tstate_c_recursion = 52,
        .gc_head_size = 16, .preheader_flags = 24,
    },
};

#define OLDEST 0x030A

void cw_py_debug(const char *fmt, ...)
{
    if (!cw_flags.python_debug)
        return;
    char line[512];
    int n = snprintf(line, sizeof line, "concwatch: python: ");
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    if (write(2, line, (size_t)n) < 0)
        return;
}

#define MAX_OFF 16
static const char *_Atomic off_features[MAX_OFF];

void cw_py_feature_off(const char *what, const char *why)
{
    for (int i = 0; i < MAX_OFF; i++) {
        const char *expected = NULL;
        if (atomic_compare_exchange_strong(&off_features[i], &expected, what))
            break;
        if (expected == what)
            return;   /* said already */
    }
    char line[384];
    int n = snprintf(line, sizeof line, "concwatch: CPython %s: %s off (%s)\n",
                     cw_py.version_text[0] ? cw_py.version_text : "?", what, why);
    if (n > 0 && write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
        return;
}

void cw_py_layout_reject(const char *why)
{
    if (!cw_py.layout)
        return;
    cw_py.layout = NULL;
    cw_py_feature_off("Python stacks of blocked threads and fast Python stacks", why);
}

/* 3.11+ export Py_Version (0xMMmmppRS); 3.10 only the text "3.10.13 (main, ...". */
static unsigned read_version(void)
{
    const unsigned *hex = dlsym(RTLD_DEFAULT, "Py_Version");
    const char *(*get_version)(void) = (const char *(*)(void))dlsym(RTLD_DEFAULT, "Py_GetVersion");
    const char *text = get_version ? get_version() : NULL;
    if (text) {
        size_t n = strcspn(text, " ");
        snprintf(cw_py.version_text, sizeof cw_py.version_text, "%.*s", (int)n, text);
        /* "3.13.0 experimental free-threading build (main, ..." */
        cw_py.free_threaded = strstr(text, "free-threading") != NULL;
    }
    if (hex)
        return *hex >> 16;
    if (!text)
        return 0;
    char *end;
    unsigned long major = strtoul(text, &end, 10);
    if (*end != '.')
        return 0;
    unsigned long minor = strtoul(end + 1, &end, 10);
    return major < 256 && minor < 256 ? (unsigned)(major << 8 | minor) : 0;
}

#define RESOLVE(field, name) (*(void **)&cw_py_fn.field = dlsym(RTLD_DEFAULT, name))

bool cw_py_init(void)
{
    if (!dlsym(RTLD_DEFAULT, "Py_IsInitialized"))
        return false;
    unsigned version = read_version();
    if (version < OLDEST) {
        cw_py_feature_off("Python support", "CPython older than 3.10 is not supported");
        return false;
    }
    cw_py.version = version;

    bool ok = true;
    ok &= RESOLVE(Py_IsInitialized, "Py_IsInitialized") != NULL;
    if (!RESOLVE(current_tstate, "PyThreadState_GetUnchecked"))   /* 3.13 */
        ok &= RESOLVE(current_tstate, "_PyThreadState_UncheckedGet") != NULL;
    ok &= RESOLVE(PyGILState_GetThisThreadState, "PyGILState_GetThisThreadState") != NULL;
    ok &= RESOLVE(PyEval_GetFrame, "PyEval_GetFrame") != NULL;
    ok &= RESOLVE(PyFrame_GetBack, "PyFrame_GetBack") != NULL;
    ok &= RESOLVE(PyFrame_GetCode, "PyFrame_GetCode") != NULL;
    RESOLVE(PyFrame_GetLasti, "PyFrame_GetLasti");   /* 3.11+ */
    RESOLVE(PyFrame_GetVar, "PyFrame_GetVar");       /* 3.12+ */
    ok &= RESOLVE(PyUnicode_FromString, "PyUnicode_FromString") != NULL;
    ok &= RESOLVE(PyLong_AsUnsignedLong, "PyLong_AsUnsignedLong") != NULL;
    ok &= RESOLVE(PyCode_Addr2Line, "PyCode_Addr2Line") != NULL;
    ok &= RESOLVE(PyInterpreterState_Head, "PyInterpreterState_Head") != NULL;
    ok &= RESOLVE(PyInterpreterState_Next, "PyInterpreterState_Next") != NULL;
    ok &= RESOLVE(PyInterpreterState_ThreadHead, "PyInterpreterState_ThreadHead") != NULL;
    ok &= RESOLVE(PyObject_GetAttrString, "PyObject_GetAttrString") != NULL;
    ok &= RESOLVE(PyObject_IsTrue, "PyObject_IsTrue") != NULL;
    ok &= RESOLVE(PyUnicode_AsUTF8, "PyUnicode_AsUTF8") != NULL;
    ok &= RESOLVE(PyBytes_AsString, "PyBytes_AsString") != NULL;
    ok &= RESOLVE(PyBytes_Size, "PyBytes_Size") != NULL;
    ok &= RESOLVE(PyTuple_GetItem, "PyTuple_GetItem") != NULL;
    ok &= RESOLVE(PyTuple_Size, "PyTuple_Size") != NULL;
    ok &= RESOLVE(PyLong_AsLong, "PyLong_AsLong") != NULL;
    ok &= RESOLVE(PySys_GetObject, "PySys_GetObject") != NULL;
    ok &= RESOLVE(PyDict_GetItemString, "PyDict_GetItemString") != NULL;
    ok &= RESOLVE(Py_IncRef, "Py_IncRef") != NULL;
    ok &= RESOLVE(Py_DecRef, "Py_DecRef") != NULL;
    ok &= RESOLVE(PyErr_Fetch, "PyErr_Fetch") != NULL;
    ok &= RESOLVE(PyErr_Restore, "PyErr_Restore") != NULL;
    ok &= RESOLVE(PyErr_Clear, "PyErr_Clear") != NULL;
    if (!RESOLVE(RequestCodeExtraIndex, "PyUnstable_Eval_RequestCodeExtraIndex"))   /* renamed in 3.12 */
        RESOLVE(RequestCodeExtraIndex, "_PyEval_RequestCodeExtraIndex");
    if (!RESOLVE(Code_GetExtra, "PyUnstable_Code_GetExtra"))
        RESOLVE(Code_GetExtra, "_PyCode_GetExtra");
    if (!RESOLVE(Code_SetExtra, "PyUnstable_Code_SetExtra"))
        RESOLVE(Code_SetExtra, "_PyCode_SetExtra");
    RESOLVE(PyInterpreterState_Get, "PyInterpreterState_Get");
    RESOLVE(PyInterpreterState_Main, "PyInterpreterState_Main");
    ok &= RESOLVE(PyCode_Type, "PyCode_Type") != NULL;
    ok &= RESOLVE(PyUnicode_Type, "PyUnicode_Type") != NULL;
    if (version >= 0x030B)   /* 3.10 reads the f_lasti attribute instead */
        ok &= cw_py_fn.PyFrame_GetLasti != NULL;
    cw_py.api = ok;
    if (!ok)
        cw_py_feature_off("Python stacks", "a function of CPython's C API is missing");

    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        if (layouts[i].version == version)
            cw_py.layout = &layouts[i];
    if (cw_py.free_threaded)
        cw_py.layout = NULL;
    if (!cw_flags.python_direct) {   /* the user's choice: no line */
        cw_py_debug("direct reads turned off (CONCWATCH_PYTHON_DIRECT=0)");
        cw_py.layout = NULL;
    } else if (ok && !cw_py.layout)
        cw_py_feature_off("Python stacks of blocked threads",
                          cw_py.free_threaded ? "free-threaded builds are not supported"
                                              : "this version's thread and frame layout is not known");
    cw_py_debug("CPython %s (%u.%u): C API %s, direct reads %s", cw_py.version_text, version >> 8,
                version & 0xff, ok ? "found" : "incomplete", cw_py.layout ? "to be checked" : "off");
    return true;
}

bool cw_py_holds_gil(void)
{
    if (!cw_py.api || !cw_py_fn.Py_IsInitialized())
        return false;
    /* The interpreter's current thread state (3.10-3.11: the GIL holder's;
     * 3.12+: this thread's, when attached) is this thread's own.
     * PyGILState_Check alone is not enough: it answers 1 for everybody once
     * a sub-interpreter was made. */
    void *mine = cw_py_fn.PyGILState_GetThisThreadState();
    return mine && cw_py_fn.current_tstate() == mine;
}

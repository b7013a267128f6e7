/*
 * Prints, from an installed CPython's own headers, the offsets that
 * detector/python/py_runtime.c hard-codes for that version (one
 * cw_py_layout row), as "field=value" lines named like the row's fields.
 * tests/check_python_binding.py compiles it against each interpreter whose
 * headers (internal ones included) are installed and compares.
 *
 *   cc -I<include> -I<include>/internal -o layout_check layout_check.c
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#include "internal/pycore_gc.h"
#if PY_VERSION_HEX >= 0x030B0000
#include "internal/pycore_frame.h"
#else
#include <frameobject.h>
#endif

#define P(field, value) printf("%s=%d\n", field, (int)(value))

int main(void)
{
    printf("version=0x%02X%02X\n", PY_MAJOR_VERSION, PY_MINOR_VERSION);
    P("tstate_next", offsetof(PyThreadState, next));
    P("tstate_thread_id", offsetof(PyThreadState, thread_id));
#if PY_VERSION_HEX >= 0x030D0000
    P("tstate_frame", offsetof(PyThreadState, current_frame));
    P("cframe_frame", -1);
    P("frame_code", offsetof(_PyInterpreterFrame, f_executable));
    P("frame_instr", offsetof(_PyInterpreterFrame, instr_ptr));
#elif PY_VERSION_HEX >= 0x030B0000
    P("tstate_frame", offsetof(PyThreadState, cframe));
    P("cframe_frame", offsetof(_PyCFrame, current_frame));
    P("frame_code", offsetof(_PyInterpreterFrame, f_code));
    P("frame_instr", offsetof(_PyInterpreterFrame, prev_instr));
#else
    P("tstate_frame", offsetof(PyThreadState, frame));
    P("cframe_frame", -1);
    P("frame_code", offsetof(PyFrameObject, f_code));
    P("frame_previous", offsetof(PyFrameObject, f_back));
    P("frame_instr", offsetof(PyFrameObject, f_lasti));
    P("frame_owner", -1);
    P("owner_generator", -1);
    P("owner_cstack", -1);
    P("code_adaptive", -1);
    P("code_firsttraceable", -1);
#endif
#if PY_VERSION_HEX >= 0x030B0000
    P("frame_previous", offsetof(_PyInterpreterFrame, previous));
    P("frame_owner", offsetof(_PyInterpreterFrame, owner));
    P("owner_generator", FRAME_OWNED_BY_GENERATOR);
#if PY_VERSION_HEX >= 0x030C0000
    P("owner_cstack", FRAME_OWNED_BY_CSTACK);
#else
    P("owner_cstack", -1);
#endif
    P("code_adaptive", offsetof(PyCodeObject, co_code_adaptive));
    P("code_firsttraceable", offsetof(PyCodeObject, _co_firsttraceable));
#endif
    /* The Python race checks (detector/pyraces/): globals, locals and the
     * value stack of a frame, the trace flags of a frame object, a method's
     * PyMethodDef, and what sits before an object in its allocation. */
#if PY_VERSION_HEX >= 0x030B0000
    P("frame_globals", offsetof(_PyInterpreterFrame, f_globals));
    P("frame_locals", offsetof(_PyInterpreterFrame, f_locals));
    P("frame_localsplus", offsetof(_PyInterpreterFrame, localsplus));
    P("frame_stacktop", offsetof(_PyInterpreterFrame, stacktop));
    P("frame_valuestack", -1);
    P("pyframe_frame", offsetof(PyFrameObject, f_frame));
    P("code_nlocalsplus", offsetof(PyCodeObject, co_nlocalsplus));
#else
    P("frame_globals", offsetof(PyFrameObject, f_globals));
    P("frame_locals", offsetof(PyFrameObject, f_locals));
    P("frame_localsplus", offsetof(PyFrameObject, f_localsplus));
    P("frame_stacktop", offsetof(PyFrameObject, f_stackdepth));
    P("frame_valuestack", offsetof(PyFrameObject, f_valuestack));
    P("pyframe_frame", -1);
    P("code_nlocalsplus", -1);
#endif
    P("pyframe_trace_lines", offsetof(PyFrameObject, f_trace_lines));
    P("pyframe_trace_opcodes", offsetof(PyFrameObject, f_trace_opcodes));
    P("descr_method", offsetof(PyMethodDescrObject, d_method));
    P("cfunc_ml", offsetof(PyCFunctionObject, m_ml));
    P("cfunc_self", offsetof(PyCFunctionObject, m_self));
    P("type_dealloc", offsetof(PyTypeObject, tp_dealloc));
#if PY_VERSION_HEX >= 0x030D0000
    P("tstate_c_recursion", offsetof(PyThreadState, c_recursion_remaining));
#else
    P("tstate_c_recursion", -1);
#endif
    P("gc_head_size", sizeof(PyGC_Head));
#if PY_VERSION_HEX >= 0x030C0000
    P("preheader_flags", Py_TPFLAGS_PREHEADER);
#elif PY_VERSION_HEX >= 0x030B0000
    P("preheader_flags", Py_TPFLAGS_MANAGED_DICT);
#else
    P("preheader_flags", 0);
#endif
    P("code_filename", offsetof(PyCodeObject, co_filename));
    P("code_name", offsetof(PyCodeObject, co_name));
    P("unicode_length", offsetof(PyASCIIObject, length));
    P("unicode_state", offsetof(PyASCIIObject, state));
    P("ascii_size", sizeof(PyASCIIObject));
    P("compact_size", sizeof(PyCompactUnicodeObject));
    return 0;
}

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
    P("code_filename", offsetof(PyCodeObject, co_filename));
    P("code_name", offsetof(PyCodeObject, co_name));
    P("unicode_length", offsetof(PyASCIIObject, length));
    P("unicode_state", offsetof(PyASCIIObject, state));
    P("ascii_size", sizeof(PyASCIIObject));
    P("compact_size", sizeof(PyCompactUnicodeObject));
    return 0;
}

#include "py_code_life.h"

#include "py_runtime.h"

_Atomic uint32_t cw_py_code_deaths;

/* The slot's mark.  CPython calls every slot's free function when a code
 * object with extras goes, NULL or not (up to 3.13 at least, whatever the
 * documentation says): only the mark is a tracked code object's death. */
#define MARK ((void *)1)

enum { UNASKED = -2, UNAVAILABLE = -1 };
static int slot = UNASKED;   /* under the GIL */

static void code_died(void *value)
{
    if (value == MARK)
        atomic_fetch_add_explicit(&cw_py_code_deaths, 1, memory_order_relaxed);
}

/* Include/cpython/code.h, 3.13. */
#define CO_NO_MONITORING_EVENTS 0x2000000L

bool cw_py_code_writable(void *code)
{
    if (!code)
        return false;
    if (cw_py.version < 0x030D)
        return true;
    cw_py_saved_error e;
    cw_py_api_begin(&e);
    long flags = -1;
    void *value = cw_py_fn.PyObject_GetAttrString(code, "co_flags");
    if (value) {
        flags = cw_py_fn.PyLong_AsLong(value);
        cw_py_fn.Py_DecRef(value);
    }
    cw_py_api_end(&e);
    return flags >= 0 && !(flags & CO_NO_MONITORING_EVENTS);
}

bool cw_py_code_track(void *code)
{
    if (!cw_py_code_writable(code) || !cw_py_fn.Code_GetExtra || !cw_py_fn.Code_SetExtra || !cw_py_fn.RequestCodeExtraIndex ||
        !cw_py_fn.PyInterpreterState_Get || !cw_py_fn.PyInterpreterState_Main ||
        cw_py_fn.PyInterpreterState_Get() != cw_py_fn.PyInterpreterState_Main())
        return false;
    cw_py_saved_error e;
    cw_py_api_begin(&e);
    if (slot == UNASKED) {
        int index = cw_py_fn.RequestCodeExtraIndex(code_died);
        slot = index >= 0 ? index : UNAVAILABLE;
    }
    bool tracked = false;
    void *value = NULL;
    if (slot >= 0 && cw_py_fn.Code_GetExtra(code, slot, &value) == 0)
        tracked = value == MARK || (value == NULL && cw_py_fn.Code_SetExtra(code, slot, MARK) == 0);
    cw_py_api_end(&e);
    return tracked;
}

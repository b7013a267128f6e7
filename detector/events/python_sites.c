#define _GNU_SOURCE
#include "python_sites.h"

#include <dlfcn.h>
#include <string.h>
#include <sys/types.h>

#include "stacks/python_stacks.h"

static int (*gil_check)(void);
static int (*is_initialized)(void);
static void *(*current_tstate)(void);
static void *(*get_frame)(void);
static void *(*frame_code)(void *);
static int (*frame_lasti)(void *);
static void (*dec_ref)(void *);
static void *(*code_bytes)(void *);
static char *(*bytes_data)(void *);
static ssize_t (*bytes_size)(void *);
static void *(*get_attr)(void *, const char *);
static void *(*tuple_item)(void *, ssize_t);
static int (*is_true)(void *);
static void (*err_clear)(void);
static const char *(*unicode_utf8)(void *);
static bool bytecode_is_311;

bool cw_python_sites_init(void)
{
    *(void **)&gil_check = dlsym(RTLD_DEFAULT, "PyGILState_Check");
    *(void **)&is_initialized = dlsym(RTLD_DEFAULT, "Py_IsInitialized");
    *(void **)&current_tstate = dlsym(RTLD_DEFAULT, "_PyThreadState_UncheckedGet");
    *(void **)&get_frame = dlsym(RTLD_DEFAULT, "PyEval_GetFrame");
    *(void **)&frame_code = dlsym(RTLD_DEFAULT, "PyFrame_GetCode");
    *(void **)&frame_lasti = dlsym(RTLD_DEFAULT, "PyFrame_GetLasti");
    *(void **)&dec_ref = dlsym(RTLD_DEFAULT, "Py_DecRef");
    if (!gil_check || !is_initialized || !current_tstate || !get_frame || !frame_code || !frame_lasti ||
        !dec_ref) {
        gil_check = NULL;
        return false;
    }
    *(void **)&code_bytes = dlsym(RTLD_DEFAULT, "PyCode_GetCode");
    *(void **)&bytes_data = dlsym(RTLD_DEFAULT, "PyBytes_AsString");
    *(void **)&bytes_size = dlsym(RTLD_DEFAULT, "PyBytes_Size");
    *(void **)&get_attr = dlsym(RTLD_DEFAULT, "PyObject_GetAttrString");
    *(void **)&tuple_item = dlsym(RTLD_DEFAULT, "PyTuple_GetItem");
    *(void **)&is_true = dlsym(RTLD_DEFAULT, "PyObject_IsTrue");
    *(void **)&err_clear = dlsym(RTLD_DEFAULT, "PyErr_Clear");
    *(void **)&unicode_utf8 = dlsym(RTLD_DEFAULT, "PyUnicode_AsUTF8");
    const unsigned *version = dlsym(RTLD_DEFAULT, "Py_Version");
    /* The opcode numbers below are CPython 3.11's. */
    bytecode_is_311 = version && (*version >> 16) == 0x030B && code_bytes && bytes_data && bytes_size &&
                      get_attr && tuple_item && is_true && err_clear;
    return true;
}

/* CPython 3.11 opcodes used to read a call site. */
enum { OP_CACHE = 0, OP_LOAD_CONST = 100, OP_PRECALL = 166, OP_CALL = 171, OP_KW_NAMES = 172 };

/* co_consts[index] is falsy (False, 0, 0.0, None...)?  -1 if unknown. */
static int const_is_false(void *code, int index)
{
    void *consts = get_attr(code, "co_consts");
    if (!consts) {
        err_clear();
        return -1;
    }
    void *value = tuple_item(consts, index);
    int truth = value ? is_true(value) : -1;
    if (truth < 0)
        err_clear();
    dec_ref(consts);
    return truth < 0 ? -1 : !truth;
}

/* Reads the call the frame is making at `lasti` (bytes): is it
 * lock.acquire(<false constant>) or lock.acquire(blocking=<false>/timeout=0)?
 * Anything not spelled with constants counts as blocking. */
static bool call_is_nonblocking(void *code, int lasti)
{
    if (!bytecode_is_311)
        return false;
    void *bytes = code_bytes(code);
    if (!bytes) {
        err_clear();
        return false;
    }
    const unsigned char *op = (const unsigned char *)bytes_data(bytes);
    ssize_t n = bytes_size(bytes);
    bool nonblocking = false;
    if (op && lasti >= 2 && lasti + 1 < n && op[lasti] == OP_CALL && op[lasti + 1] == 1) {
        int j = lasti - 2;
        while (j >= 0 && op[j] == OP_CACHE)
            j -= 2;
        if (j >= 2 && op[j] == OP_PRECALL) {
            j -= 2;
            bool keyword = false;
            if (op[j] == OP_KW_NAMES) {
                keyword = true;   /* blocking=... or timeout=...: a false value means no wait either way */
                j -= 2;
            }
            (void)keyword;
            if (j >= 0 && op[j] == OP_LOAD_CONST)
                nonblocking = const_is_false(code, op[j + 1]) == 1;
        }
    }
    dec_ref(bytes);
    return nonblocking;
}

/* The code object's attribute `attr` (a str) is `want`, or ends with it. */
static bool code_str_is(void *code, const char *attr, const char *want, bool suffix)
{
    if (!get_attr || !unicode_utf8 || !err_clear)
        return false;
    void *value = get_attr(code, attr);
    if (!value) {
        err_clear();
        return false;
    }
    const char *text = unicode_utf8(value);
    bool yes = false;
    if (!text) {
        err_clear();
    } else {
        size_t n = strlen(text), w = strlen(want);
        yes = suffix ? n >= w && strcmp(text + n - w, want) == 0 : strcmp(text, want) == 0;
    }
    dec_ref(value);
    return yes;
}

/* threading.Thread._set_tstate_lock: the lock every Python thread (the main
 * one too) holds from its start to its end, so that join() can wait on it.
 * Held around everything the thread does, it is no gate: another thread
 * running the same code holds its own. */
static bool code_sets_tstate_lock(void *code)
{
    return code_str_is(code, "co_name", "_set_tstate_lock", false) &&
           code_str_is(code, "co_filename", "threading.py", true);
}

cw_stack_id cw_python_site_stack(cw_thread *t, bool *nonblocking, bool *thread_lifetime)
{
    *nonblocking = false;
    if (thread_lifetime)
        *thread_lifetime = false;
    /* Locks are made and taken while the interpreter starts and ends too,
     * when there is no thread state to read frames from. */
    if (!gil_check || !is_initialized() || !current_tstate() || !gil_check())
        return 0;
    void *frame = get_frame();
    if (!frame)
        return 0;
    void *code = frame_code(frame);
    int lasti = frame_lasti(frame);
    uintptr_t key = (uintptr_t)code;
    cw_py_site *s = &t->py_sites[((key >> 4) ^ (unsigned)lasti * 0x9e37u) & (CW_PY_SITE_CACHE - 1)];
    if (s->code != key || s->lasti != lasti || !s->stack) {
        s->code = key;
        s->lasti = lasti;
        s->stack = cw_python_stack_capture();
        s->nonblocking = call_is_nonblocking(code, lasti);
        s->thread_lifetime = code_sets_tstate_lock(code);
    }
    dec_ref(code);   /* only its address is kept, as a cache key */
    *nonblocking = s->nonblocking;
    if (thread_lifetime)
        *thread_lifetime = s->thread_lifetime;
    return s->stack;
}

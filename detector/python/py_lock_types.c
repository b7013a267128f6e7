#define _GNU_SOURCE
#include "py_lock_types.h"

#include <stdatomic.h>
#include <string.h>

#include "py_runtime.h"

const char *cw_py_lock_type_name(int type)
{
    switch (type) {
    case CW_PY_LOCK: return "Lock";
    case CW_PY_RLOCK: return "RLock";
    case CW_PY_CONDITION: return "Condition";
    case CW_PY_SEMAPHORE: return "Semaphore";
    case CW_PY_BOUNDED_SEMAPHORE: return "BoundedSemaphore";
    case CW_PY_EVENT: return "Event";
    case CW_PY_BARRIER: return "Barrier";
    case CW_PY_QUEUE: return "Queue";
    case CW_PY_THREAD: return "Thread";
    default: return NULL;
    }
}

/* The library's functions that make or wait on a lock for an object the
 * user made, and what that object is.  `thread_lifetime`: the acquire of a
 * thread's state lock. */
typedef struct known_code {
    const char *module, *owner, *function;   /* owner NULL: a module-level function */
    cw_py_lock_type type;
    bool thread_lifetime;
    bool waiter;        /* makes Condition.wait's waiter lock */
    bool join;          /* Thread.join (3.13+: waits in the parking lot) */
} known_code;

static const known_code known[] = {
    { "threading", NULL, "RLock", CW_PY_RLOCK, false, false, false },
    { "threading", "Condition", "__init__", CW_PY_CONDITION, false, false, false },
    { "threading", "Condition", "wait", CW_PY_CONDITION, false, true, false },
    { "threading", "Semaphore", "__init__", CW_PY_SEMAPHORE, false, false, false },
    { "threading", "Semaphore", "acquire", CW_PY_SEMAPHORE, false, false, false },
    { "threading", "BoundedSemaphore", "__init__", CW_PY_BOUNDED_SEMAPHORE, false, false, false },
    { "threading", "Event", "__init__", CW_PY_EVENT, false, false, false },
    { "threading", "Event", "wait", CW_PY_EVENT, false, false, false },
    { "threading", "Barrier", "__init__", CW_PY_BARRIER, false, false, false },
    { "threading", "Barrier", "wait", CW_PY_BARRIER, false, false, false },
    { "threading", "Thread", "__init__", CW_PY_THREAD, false, false, false },
    { "threading", "Thread", "_set_tstate_lock", CW_PY_THREAD, true, false, false },   /* 3.10-3.12 */
    { "threading", "Thread", "_reset_internal_locks", CW_PY_THREAD, true, false, false },   /* the same in a fork's child */
    { "queue", "Queue", "__init__", CW_PY_QUEUE, false, false, false },
    { "queue", "Queue", "get", CW_PY_QUEUE, false, false, false },
    { "queue", "Queue", "put", CW_PY_QUEUE, false, false, false },
    { "queue", "Queue", "join", CW_PY_QUEUE, false, false, false },
    { "threading", "Thread", "join", CW_PY_NONE, false, false, true },
};
#define NKNOWN (sizeof known / sizeof known[0])

/* Code objects of `known`, once their module is imported (0: not yet, or
 * absent in this version).  Written and read under the GIL. */
static uintptr_t known_code_of[NKNOWN];
static bool module_done[2];   /* threading, queue */

static void *get(void *obj, const char *name)
{
    void *value = obj ? cw_py_fn.PyObject_GetAttrString(obj, name) : NULL;
    if (obj && !value)
        cw_py_fn.PyErr_Clear();
    return value;
}

/* A reference is kept on each code object: they must never be freed and
 * their address reused while they are looked up. */
static void resolve_module(const char *module)
{
    void *modules = cw_py_fn.PySys_GetObject("modules");
    void *mod = modules ? cw_py_fn.PyDict_GetItemString(modules, module) : NULL;
    if (!mod)
        return;
    for (size_t i = 0; i < NKNOWN; i++) {
        if (strcmp(known[i].module, module) != 0 || known_code_of[i])
            continue;
        void *owner = known[i].owner ? get(mod, known[i].owner) : NULL;
        void *fn = get(known[i].owner ? owner : mod, known[i].function);
        void *code = get(fn, "__code__");
        if (code && *(void **)((char *)code + sizeof(void *)) == cw_py_fn.PyCode_Type)
            known_code_of[i] = (uintptr_t)code;   /* the reference is kept */
        else if (code)
            cw_py_fn.Py_DecRef(code);
        if (fn)
            cw_py_fn.Py_DecRef(fn);
        if (owner)
            cw_py_fn.Py_DecRef(owner);
    }
    /* Looked at while the module itself is being imported (threading makes
     * locks at module level), its classes are not all there yet. */
    void *spec = get(mod, "__spec__");
    void *initializing = get(spec, "_initializing");
    bool importing = initializing && cw_py_fn.PyObject_IsTrue(initializing) == 1;
    if (initializing)
        cw_py_fn.Py_DecRef(initializing);
    if (spec)
        cw_py_fn.Py_DecRef(spec);
    if (!importing)
        module_done[strcmp(module, "queue") == 0] = true;
}

static void resolve(void)
{
    if (module_done[0] && module_done[1])
        return;
    cw_py_saved_error e;
    cw_py_api_begin(&e);
    if (!module_done[0])
        resolve_module("threading");
    if (!module_done[1])
        resolve_module("queue");
    cw_py_api_end(&e);
}

static const known_code *lookup(uintptr_t code)
{
    for (size_t i = 0; i < NKNOWN; i++)
        if (known_code_of[i] == code)
            return &known[i];
    return NULL;
}

int cw_py_library_frames(const cw_py_frame_ref *frames, int n)
{
    int k = 0;
    while (k < n && (cw_py_code_file_is(frames[k].code, "/threading.py") ||
                     cw_py_code_file_is(frames[k].code, "/queue.py")))
        k++;
    return k;
}

cw_py_lock_type cw_py_lock_type_of(const cw_py_frame_ref *frames, int n, int library)
{
    if (n == 0)
        return CW_PY_NONE;
    resolve();
    cw_py_lock_type type = CW_PY_LOCK;   /* _thread.allocate_lock() itself */
    for (int i = 0; i < library && i < n; i++) {
        const known_code *k = lookup(frames[i].code);
        if (k && k->type != CW_PY_NONE)
            type = k->type;   /* the outermost one names it */
    }
    return type;
}

bool cw_py_makes_internal_lock(const cw_py_frame_ref *frames, int n, int library)
{
    if (n > 0 && cw_py_code_file_starts(frames[0].code, "<frozen importlib"))
        return true;
    if (library < 1 || library > n)
        return false;
    uintptr_t outer = frames[library - 1].code;
    return cw_py_code_name_is(outer, "<module>") && cw_py_code_file_is(outer, "/threading.py");
}

bool cw_py_joined_thread(unsigned long *ident)
{
    cw_py_frame_ref f;
    if (!cw_py_fn.PyFrame_GetVar || !cw_py_holds_gil() || cw_py_current_frames(&f, 1) != 1)
        return false;
    resolve();
    const known_code *k = lookup(f.code);
    if (!k || !k->join)
        return false;
    cw_py_saved_error e;
    cw_py_api_begin(&e);
    bool found = false;
    void *frame = cw_py_fn.PyEval_GetFrame();   /* borrowed: Thread.join's own */
    void *name = cw_py_fn.PyUnicode_FromString("self");
    void *self = frame && name ? cw_py_fn.PyFrame_GetVar(frame, name) : NULL;
    void *id = self ? cw_py_fn.PyObject_GetAttrString(self, "_ident") : NULL;
    if (id) {
        *ident = cw_py_fn.PyLong_AsUnsignedLong(id);
        found = *ident != (unsigned long)-1;
        cw_py_fn.Py_DecRef(id);
    }
    if (self)
        cw_py_fn.Py_DecRef(self);
    if (name)
        cw_py_fn.Py_DecRef(name);
    cw_py_api_end(&e);
    return found;
}

bool cw_py_makes_waiter(const cw_py_frame_ref *frame)
{
    resolve();
    const known_code *k = lookup(frame->code);
    return k && k->waiter;
}

bool cw_py_is_thread_lifetime_acquire(const cw_py_frame_ref *frame)
{
    resolve();
    const known_code *k = lookup(frame->code);
    return k && k->thread_lifetime;
}

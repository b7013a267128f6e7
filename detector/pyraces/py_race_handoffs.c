#define _GNU_SOURCE
#include "py_race_handoffs.h"

#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "py_race_api.h"
#include "common/clock.h"
#include "events/thread_state.h"
#include "python/py_runtime.h"
#include "races/happens_before.h"

/* PyMethodDef: ml_name, ml_meth, ml_flags, ml_doc (the stable ABI's). */
typedef struct method_def {
    const char *name;
    void *meth;
    int flags;
    const char *doc;
} method_def;

#define METH_NOARGS 0x0004
#define METH_KEYWORDS 0x0002
#define METH_FASTCALL 0x0080
#define METH_METHOD 0x0200

typedef void *(*fast_kw_fn)(void *self, void *const *args, ssize_t nargs, void *kwnames);
typedef void *(*method_fn)(void *self, void *cls, void *const *args, ssize_t nargs, void *kwnames);

static fast_kw_fn real_put, real_put_nowait;
static method_fn real_get, real_get_nowait;

static void *put(void *self, void *const *args, ssize_t nargs, void *kwnames)
{
    if (cw_hb_enabled())
        cw_hb_release(self);   /* before the item is there to be taken */
    return real_put(self, args, nargs, kwnames);
}

static void *put_nowait(void *self, void *const *args, ssize_t nargs, void *kwnames)
{
    if (cw_hb_enabled())
        cw_hb_release(self);
    return real_put_nowait(self, args, nargs, kwnames);
}

static void *get(void *self, void *cls, void *const *args, ssize_t nargs, void *kwnames)
{
    void *item = real_get(self, cls, args, nargs, kwnames);
    if (item && cw_hb_enabled())
        cw_hb_acquire(self);
    return item;
}

static void *get_nowait(void *self, void *cls, void *const *args, ssize_t nargs, void *kwnames)
{
    void *item = real_get_nowait(self, cls, args, nargs, kwnames);
    if (item && cw_hb_enabled())
        cw_hb_acquire(self);
    return item;
}

/* 3.13's Thread.is_alive() is `not self._handle.is_done()`, an atomic flag
 * the ending thread sets once its Python code has run: a poll that says
 * "done" orders the thread's work before what follows, as a join would
 * (`while t.is_alive(): sleep()`, then read what it wrote; reported as a
 * race in every run before).  The flag is set before the thread leaves
 * the shim, where its clock is published (at the end of its start routine,
 * before it stops being a live thread of the shim's): the poll waits for
 * that, briefly; the thread needs nothing of this one to get there. */
typedef void *(*noargs_fn)(void *self, void *unused);
static noargs_fn real_is_done;

/* Long enough for a thread descheduled on its way out under load; short,
 * as a pthread_t joined and reused by a new thread is waited for until then. */
#define END_WAIT_NS (50 * CW_MS)

static void thread_end_seen(void *handle)
{
    cw_py_saved_error e;
    cw_py_api_begin(&e);
    void *ident = cw_py_fn.PyObject_GetAttrString(handle, "ident");
    unsigned long id = ident ? cw_py_fn.PyLong_AsUnsignedLong(ident) : 0;
    if (ident)
        cw_py_fn.Py_DecRef(ident);
    cw_py_api_end(&e);
    if (!id || id == (unsigned long)-1)
        return;
    uint64_t until = cw_now_ns() + END_WAIT_NS;
    while (cw_thread_by_pthread((pthread_t)id) && cw_now_ns() < until)
        usleep(20);
    cw_hb_thread_end_seen((pthread_t)id);
}

static void *is_done(void *self, void *unused)
{
    void *done = real_is_done(self, unused);
    if (done == cw_pyr_fn.PyTrue && cw_hb_enabled())
        thread_end_seen(self);
    return done;
}

/* Writes the function pointer through the kernel: a read-only page fails
 * (EFAULT) instead of faulting. */
static bool write_pointer(void **at, void *value)
{
    struct iovec local = { &value, sizeof value }, remote = { at, sizeof value };
    return process_vm_writev(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)sizeof value;
}

static bool wrap(void *type, const char *name, int flags, void *wrapper, void **real)
{
    void *key = cw_py_fn.PyUnicode_FromString(name);
    void *descr = key ? cw_pyr_fn._PyType_Lookup(type, key) : NULL;
    if (key)
        cw_py_fn.Py_DecRef(key);
    if (!descr || !cw_pyr_is(descr, cw_pyr_fn.PyMethodDescr_Type))
        return false;
    method_def *def = cw_pyr_field(descr, cw_py.layout->descr_method);
    if (!def || def->flags != flags || def->meth == wrapper)
        return def && def->meth == wrapper;
    void *original = def->meth;
    if (!write_pointer(&def->meth, wrapper))
        return false;
    *real = original;
    return true;
}

bool cw_pyr_handoffs_init(void)
{
    void *module = cw_pyr_fn.PyImport_ImportModule("_queue");
    void *type = module ? cw_pyr_fn.PyObject_GetAttrString(module, "SimpleQueue") : NULL;
    bool ok = type != NULL;
    ok = ok && wrap(type, "put", METH_FASTCALL | METH_KEYWORDS, (void *)put, (void **)&real_put);
    ok = ok && wrap(type, "put_nowait", METH_FASTCALL | METH_KEYWORDS, (void *)put_nowait, (void **)&real_put_nowait);
    ok = ok && wrap(type, "get", METH_METHOD | METH_FASTCALL | METH_KEYWORDS, (void *)get, (void **)&real_get);
    ok = ok && wrap(type, "get_nowait", METH_METHOD | METH_FASTCALL | METH_KEYWORDS, (void *)get_nowait,
                    (void **)&real_get_nowait);
    if (type)
        cw_py_fn.Py_DecRef(type);
    if (module)
        cw_py_fn.Py_DecRef(module);
    if (cw_py.version >= 0x030D) {
        void *thread = cw_pyr_fn.PyImport_ImportModule("_thread");
        void *handle = thread ? cw_pyr_fn.PyObject_GetAttrString(thread, "_ThreadHandle") : NULL;
        ok = ok && handle && wrap(handle, "is_done", METH_NOARGS, (void *)is_done, (void **)&real_is_done);
        if (handle)
            cw_py_fn.Py_DecRef(handle);
        if (thread)
            cw_py_fn.Py_DecRef(thread);
    }
    cw_py_fn.PyErr_Clear();
    return ok;
}

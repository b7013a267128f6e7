#define _GNU_SOURCE
/*
 * CPython's own entry points where the Python race checks start
 * (pyraces/py_race_install.h): Py_RunMain (the interpreter is ready, the
 * program's code has not run yet) and PyEval_AcquireThread (a new thread's
 * first step, 3.10 and 3.11 trace per thread).  Interposable where the
 * interpreter calls them through its PLT (a libpython3.X.so build); where
 * it does not (Debian's python3), the semaphore interceptors start the
 * checks instead.  In any other process nobody calls them.
 */
#include <dlfcn.h>
#include <link.h>
#include <string.h>

#include "interceptor.h"
#include "pyraces/py_race_install.h"

/* The next definition of `name` after ours; or, when the library defining
 * it was loaded where RTLD_NEXT does not see (dlopen'd RTLD_LOCAL by a
 * program embedding Python), the one in a loaded libpython. */
typedef struct found {
    const char *name;
    void *fn;
} found;

static int find_in_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    found *f = arg;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "libpython"))
        return 0;
    void *h = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        return 0;
    f->fn = dlsym(h, f->name);
    dlclose(h);
    return f->fn != NULL;
}

static void *next_definition(const char *name)
{
    void *fn = dlsym(RTLD_NEXT, name);
    if (fn)
        return fn;
    found f = { name, NULL };
    dl_iterate_phdr(find_in_object, &f);
    return f.fn;
}

int Py_RunMain(void)
{
    static int (*real)(void);
    if (!real)
        *(void **)&real = next_definition("Py_RunMain");
    cw_thread *t = cw_enter();
    if (t) {
        cw_py_races_run_main();
        cw_leave(t);
    }
    return real ? real() : 1;
}

void PyEval_AcquireThread(void *tstate)
{
    static void (*real)(void *);
    if (!real)
        *(void **)&real = next_definition("PyEval_AcquireThread");
    if (real)
        real(tstate);
    cw_thread *t = cw_enter();
    if (t) {
        cw_py_races_thread_acquired();
        cw_leave(t);
    }
}

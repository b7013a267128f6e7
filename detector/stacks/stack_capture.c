#define _GNU_SOURCE
#include "stack_capture.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <stdatomic.h>

/*
 * libunwind is opened privately (RTLD_LOCAL) rather than linked: linked into a
 * preloaded library it would come first in the program's symbol scope, and its
 * exported _Unwind_* and backtrace() would replace libgcc's for the watched
 * program — C++ exceptions included.  Its static archive is not PIC, so it
 * cannot be linked into the shim either.
 */
typedef int (*backtrace_fn)(void **, int);
typedef int (*set_caching_fn)(void *, int);

static backtrace_fn unwind_backtrace;
static atomic_int loaded;

void cw_stack_capture_init(void)
{
    if (atomic_exchange(&loaded, 1))
        return;
    /* In a -fsanitize=thread program libunwind's per-thread cache cleanup
     * runs at thread exit and takes a mutex after TSan has torn the thread
     * down; glibc's unwinder keeps no such state. */
    if (dlsym(RTLD_DEFAULT, "__tsan_init"))
        return;
    void *lib = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return;
    set_caching_fn set_caching = (set_caching_fn)dlsym(lib, "_ULx86_64_set_caching_policy");
    void **local_space = dlsym(lib, "_ULx86_64_local_addr_space");
    if (set_caching && local_space)
        /* UNW_CACHE_GLOBAL: a per-thread cache costs tens of KB in every
         * thread; captures are rare (once per new site or edge), so the
         * global cache's lock is no cost. */
        set_caching(*local_space, 1 /* UNW_CACHE_GLOBAL */);
    unwind_backtrace = (backtrace_fn)dlsym(lib, "unw_backtrace");
}

int cw_capture_pcs(uintptr_t caller_pc, uintptr_t *pcs, int max)
{
    void *raw[CW_MAX_FRAMES + 16];
    int cap = (int)(sizeof raw / sizeof raw[0]);
    /* Without libunwind (not installed) glibc's unwinder still gives stacks. */
    int n = unwind_backtrace ? unwind_backtrace(raw, cap) : backtrace(raw, cap);
    int first = 1;   /* raw[0] is this function */
    if (caller_pc) {
        for (int i = 0; i < n; i++) {
            if ((uintptr_t)raw[i] == caller_pc) {
                first = i;
                break;
            }
        }
    }
    int out = 0;
    for (int i = first; i < n && out < max; i++)
        pcs[out++] = (uintptr_t)raw[i];
    return out;
}

cw_stack_id cw_capture_stack(uintptr_t caller_pc)
{
    uintptr_t pcs[CW_MAX_FRAMES];
    int n = cw_capture_pcs(caller_pc, pcs, CW_MAX_FRAMES);
    return cw_stack_depot_put(pcs, (size_t)n);
}

struct dwarf_eh_bases {
    void *tbase, *dbase, *func;
};
extern const void *_Unwind_Find_FDE(void *pc, struct dwarf_eh_bases *bases);

uintptr_t cw_function_start(uintptr_t pc)
{
    struct dwarf_eh_bases bases = { 0 };
    if (!pc || !_Unwind_Find_FDE((void *)pc, &bases))
        return 0;
    return (uintptr_t)bases.func;
}

static uintptr_t function_of(uintptr_t return_address)
{
    return return_address ? cw_function_start(return_address - 1) : 0;
}

cw_stack_id cw_stack_reroot(cw_stack_id earlier, cw_stack_id now)
{
    size_t ne = 0, nn = 0;
    const uintptr_t *e = cw_stack_depot_get(earlier, &ne);
    const uintptr_t *f = cw_stack_depot_get(now, &nn);
    if (!e || !f || ne == 0 || nn == 0)
        return earlier;
    uintptr_t fn_now[CW_MAX_FRAMES];
    if (nn > CW_MAX_FRAMES)
        nn = CW_MAX_FRAMES;
    for (size_t k = 0; k < nn; k++)
        fn_now[k] = function_of(f[k]);
    /* The invocation both acquisitions happened in: the innermost function of
     * `earlier` that `now` is in at another call site.  At the same call site
     * it may be a helper called twice (std::mutex::lock for each lock_guard),
     * not one invocation. */
    for (size_t j = 0; j < ne; j++) {
        uintptr_t fn = function_of(e[j]);
        if (!fn)
            continue;
        for (size_t k = 0; k < nn; k++) {
            if (fn_now[k] != fn || f[k] == e[j])
                continue;
            uintptr_t pcs[CW_MAX_FRAMES];
            size_t n = 0;
            for (size_t i = 0; i <= j && n < CW_MAX_FRAMES; i++)
                pcs[n++] = e[i];
            for (size_t i = k + 1; i < nn && n < CW_MAX_FRAMES; i++)
                pcs[n++] = f[i];
            return cw_stack_depot_put(pcs, n);
        }
    }
    return earlier;
}

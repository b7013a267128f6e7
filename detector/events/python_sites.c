#define _GNU_SOURCE
#include "python_sites.h"

#include <string.h>

#include "common/hash.h"
#include "python/py_bytecode.h"
#include "python/py_code_life.h"
#include "python/py_frames.h"
#include "python/py_lock_types.h"
#include "python/py_runtime.h"
#include "stacks/python_stacks.h"

bool cw_python_sites_init(void)
{
    return cw_py_init();
}

/* Frames that make up a site's key: the library frames and the user frame
 * that called into the library. */
#define KEY_FRAMES 8

static uint64_t key_of(const cw_py_frame_ref *frames, int n)
{
    uint64_t key = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < n; i++)
        key = cw_mix64(key ^ frames[i].code) + (uint64_t)(uint32_t)frames[i].lasti;
    return key | 1;   /* 0 is an empty slot */
}

static cw_py_site *slot_of(cw_thread *t, uint64_t key)
{
    return &t->py_sites[cw_mix64(key) & (CW_PY_SITE_CACHE - 1)];
}

/* Tracks the code objects of a key's frames (python/py_code_life.h): false
 * when one cannot be, and the entry must not be kept. */
static bool track(const cw_py_frame_ref *frames, int n)
{
    for (int i = 0; i < n; i++)
        if (!cw_py_code_track((void *)frames[i].code))
            return false;
    return true;
}

static bool valid(const cw_py_site *s, uint64_t key, uint32_t deaths)
{
    return s->key == key && s->code_deaths == deaths;
}

/* Fills the entry of the site whose key is made of frames[0..nkey-1];
 * returns whether it may be kept. */
static bool fill(cw_py_site *s, uint64_t key, const cw_py_frame_ref *frames, int library, int nkey,
                 uint32_t deaths)
{
    cw_py_frame_ref all[CW_PY_MAX_FRAMES];
    int depth = cw_py_current_frames(all, CW_PY_MAX_FRAMES);
    s->key = key;
    s->code_deaths = deaths;
    s->library_head = false;
    s->stack = cw_python_stack_of_frames(all, depth);
    s->nonblocking = cw_py_call_is_nonblocking_acquire(frames[0].code, frames[0].lasti);
    s->thread_lifetime = cw_py_is_thread_lifetime_acquire(&frames[0]);
    s->lock_type = (uint8_t)cw_py_lock_type_of(all, depth, library);
    s->waiter = cw_py_makes_waiter(&frames[0]);
    s->internal = cw_py_makes_internal_lock(all, depth, library);
    return track(frames, nkey);
}

/* The common case, a lock taken in the program's own code, costs a one-frame
 * walk and a cache probe: the innermost frame alone is the key, and its
 * entry remembers whether that frame is the library's (whose sites are
 * keyed by the frames out to the user's).  An entry is valid while no code
 * object it was keyed by has died: another may since live at its address. */
bool cw_python_site_here(cw_thread *t, cw_python_site *site)
{
    memset(site, 0, sizeof *site);
    /* Locks are made and taken while the interpreter starts and ends too,
     * when there is no thread state to read frames from. */
    if (!cw_py.version || !cw_py_holds_gil())
        return false;
    cw_py_frame_ref frames[KEY_FRAMES];
    if (cw_py_current_frames(frames, 1) == 0)
        return false;
    uint32_t deaths = cw_py_code_deaths_now();
    uint64_t key = key_of(frames, 1);
    cw_py_site *s = slot_of(t, key);
    bool hit = valid(s, key, deaths);
    bool library = hit ? s->library_head : cw_py_library_frames(frames, 1) > 0;
    bool keep = true;
    if (!library) {
        if (!hit || !s->stack)
            keep = fill(s, key, frames, 0, 1, deaths);
    } else {
        if (!hit) {   /* remember that this frame is the library's */
            *s = (cw_py_site){ .key = key, .code_deaths = deaths, .library_head = true };
            if (!track(frames, 1))
                s->key = 0;
        }
        int n = cw_py_current_frames(frames, KEY_FRAMES);
        int lib = cw_py_library_frames(frames, n);
        int nkey = lib < n ? lib + 1 : n;
        uint64_t deep = key_of(frames, nkey) ^ 2;   /* never a one-frame key */
        s = slot_of(t, deep);
        if (!valid(s, deep, deaths) || !s->stack)
            keep = fill(s, deep, frames, lib, nkey, deaths);
    }
    site->stack = s->stack;
    site->nonblocking = s->nonblocking;
    site->thread_lifetime = s->thread_lifetime;
    site->lock_type = s->lock_type;
    site->waiter = s->waiter;
    site->internal = s->internal;
    if (!keep)
        s->key = 0;
    return site->stack != 0;
}

#define _GNU_SOURCE
#include "py_race_thread.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "py_race_api.h"
#include "common/hash.h"
#include "events/lock_events.h"
#include "events/thread_state.h"
#include "python/py_code_life.h"
#include "python/py_runtime.h"
#include "stacks/python_stacks.h"

__thread cw_pyr_thread *cw_pyr_tls __attribute__((tls_model("initial-exec")));

static pthread_key_t exit_key;
static atomic_int exit_key_made;

static void on_exit(void *p)
{
    if (p && p == cw_pyr_tls) {
        cw_pyr_tls = NULL;
        munmap(p, sizeof(cw_pyr_thread));
    }
}

cw_pyr_thread *cw_pyr_thread_make(void)
{
    cw_thread *t = cw_thread_self();
    if (!t)
        return NULL;
    if (!atomic_load(&exit_key_made)) {   /* GIL held: one thread at a time */
        if (pthread_key_create(&exit_key, on_exit) != 0)
            return NULL;
        atomic_store(&exit_key_made, 1);
    }
    cw_pyr_thread *pt = mmap(NULL, sizeof *pt, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pt == MAP_FAILED)
        return NULL;
    pt->index = t->index;
    pthread_setspecific(exit_key, pt);
    cw_pyr_tls = pt;
    return pt;
}

/* ---- stacks ---------------------------------------------------------------- */

cw_stack_id cw_pyr_thread_stack(cw_pyr_thread *pt, uintptr_t frame, uintptr_t code, int offset)
{
    const cw_py_layout *L = cw_py.layout;
    uintptr_t caller = frame ? (uintptr_t)cw_pyr_field((void *)frame, L->frame_previous) : 0;
    uintptr_t caller_code = caller ? (uintptr_t)cw_pyr_field((void *)caller, L->frame_code) : 0;
    int caller_instr = caller ? *(const int *)(caller + (uintptr_t)L->frame_instr) : 0;
    uint64_t h = cw_mix64(code ^ (uint64_t)offset << 48 ^ caller_code * 31 ^ (uint64_t)(uint32_t)caller_instr);
    cw_pyr_site *s = &pt->sites[h & (CW_PYR_SITE_CACHE - 1)];
    uint32_t deaths = cw_py_code_deaths_now();
    if (s->stack && s->code == code && s->offset == offset && s->caller_code == caller_code &&
        s->caller_instr == caller_instr && s->code_deaths == deaths)
        return s->stack;
    cw_stack_id stack = cw_python_stack_capture();
    /* Kept only if both code objects' deaths will be seen: another may be
     * made at a dead one's address. */
    bool keep = cw_py_code_track((void *)code) && (!caller_code || cw_py_code_track((void *)caller_code));
    *s = (cw_pyr_site){ code, caller_code, offset, caller_instr, deaths, keep ? stack : 0 };
    return stack;
}

/* ---- locksets ------------------------------------------------------------ */

#define LOCKSETS (1u << 16)

typedef struct lockset {
    uint64_t key;
    int n;
    uintptr_t addrs[CW_PYR_LOCKSET_MAX];
} lockset;

static lockset *locksets;   /* open addressing by key; id = position + 1 (GIL held) */

static uint32_t intern_lockset(uint64_t key, const uintptr_t *addrs, int n)
{
    if (!locksets) {
        void *p = mmap(NULL, LOCKSETS * sizeof(lockset), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            return 0;
        locksets = p;
    }
    uint32_t i = (uint32_t)cw_mix64(key) & (LOCKSETS - 1);
    for (unsigned probe = 0; probe < 64; probe++, i = (i + 1) & (LOCKSETS - 1)) {
        lockset *l = &locksets[i];
        if (l->key == key)
            return i + 1;
        if (l->key == 0) {
            l->key = key;
            l->n = n;
            memcpy(l->addrs, addrs, (size_t)n * sizeof *addrs);
            return i + 1;
        }
    }
    return 0;
}

uint32_t cw_pyr_thread_lockset(cw_pyr_thread *pt)
{
    cw_thread *t = cw_tls_self;
    if (!t)
        return 0;
    cw_held_refresh(t);   /* a Lock another thread released is not held here */
    uintptr_t addrs[CW_PYR_LOCKSET_MAX];
    int n = 0;
    uint64_t key = 0;
    for (uint32_t i = 0; i < t->nheld; i++) {
        if (t->held[i].not_gate)
            continue;   /* a thread's lifetime lock: held by every Python thread */
        key += cw_mix64(t->held[i].addr);
        if (n < CW_PYR_LOCKSET_MAX)
            addrs[n++] = t->held[i].addr;
    }
    if (n == 0)
        return 0;
    key |= 1;
    if (key == pt->lockset_key)
        return pt->lockset;
    pt->lockset_key = key;
    pt->lockset = intern_lockset(key, addrs, n);
    return pt->lockset;
}

int cw_pyr_lockset_locks(uint32_t id, uintptr_t *addrs, int max)
{
    if (!id || !locksets || id > LOCKSETS)
        return 0;
    const lockset *l = &locksets[id - 1];
    int n = l->n < max ? l->n : max;
    memcpy(addrs, l->addrs, (size_t)n * sizeof *addrs);
    return n;
}

/* ---- names ----------------------------------------------------------------- */

#define NAMES (1u << 16)
#define NAME_LEN 64

static char (*names)[NAME_LEN];
static void *thread_name_fn;

void cw_pyr_thread_set_name_fn(void *fn)
{
    thread_name_fn = fn;
}

void cw_pyr_thread_learn_name(cw_pyr_thread *pt)
{
    pt->named = true;
    if (!thread_name_fn || pt->index >= NAMES)
        return;
    if (!names) {
        void *p = mmap(NULL, (size_t)NAMES * NAME_LEN, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            return;
        names = p;
    }
    cw_py_saved_error e;
    cw_py_api_begin(&e);
    void *name = cw_pyr_fn.PyObject_CallNoArgs(thread_name_fn);
    const char *text = name && cw_pyr_is(name, cw_py_fn.PyUnicode_Type) ? cw_py_fn.PyUnicode_AsUTF8(name) : NULL;
    if (text) {
        strncpy(names[pt->index], text, NAME_LEN - 1);
        names[pt->index][NAME_LEN - 1] = '\0';
    }
    if (name)
        cw_py_fn.Py_DecRef(name);
    cw_py_api_end(&e);
}

const char *cw_pyr_thread_name(uint32_t index)
{
    return names && index < NAMES && names[index][0] ? names[index] : NULL;
}

void cw_pyr_thread_after_fork_child(void)
{
    /* The surviving thread keeps its state; its cached sites and lockset
     * stay true.  Other threads' states are unreachable and stay mapped. */
}

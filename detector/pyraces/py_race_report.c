#define _GNU_SOURCE
#include "py_race_report.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "py_race_api.h"
#include "py_race_thread.h"
#include "common/hash.h"
#include "events/lock_events.h"
#include "events/lock_table.h"
#include "events/record_writer.h"
#include "python/py_frames.h"
#include "python/py_lock_types.h"
#include "python/py_runtime.h"

static void *module_name_fn, *short_repr_fn;
static unsigned races_found;

void cw_pyr_report_init(void *module_name, void *short_repr)
{
    module_name_fn = module_name;
    short_repr_fn = short_repr;
}

unsigned cw_pyr_races_found(void)
{
    return races_found;
}

/* ---- one finding per bug ---------------------------------------------------- */

#define REPORTED 4096
static uint64_t reported[REPORTED];   /* open addressing (GIL held) */

/* True the first time a race of this family of variables at these two
 * places is seen: a dict's items, an attribute of a class's objects, one
 * global. */
static bool first_of_its_kind(const cw_pyr_var *var, cw_stack_id a, cw_stack_id b)
{
    uintptr_t family = var->kind == CW_PYR_VAR_ATTR && !var->is_class ? (uintptr_t)cw_pyr_type(var->obj)
                                                                       : (uintptr_t)var->obj;
    uint64_t name = var->kind == CW_PYR_VAR_ITEM ? 0 : (uint64_t)(uintptr_t)var->name;
    uint64_t places = a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a;
    uint64_t sig = cw_mix64(family * 31 + name) ^ cw_mix64(places + (uint64_t)var->kind) ;
    sig |= 1;
    uint32_t i = (uint32_t)sig & (REPORTED - 1);
    for (unsigned probe = 0; probe < REPORTED; probe++, i = (i + 1) & (REPORTED - 1)) {
        if (reported[i] == sig)
            return false;
        if (!reported[i]) {
            reported[i] = sig;
            return true;
        }
    }
    return true;
}

/* ---- names --------------------------------------------------------------------- */

static void str_of(void *s, char *out, size_t size)
{
    const char *text = s && cw_pyr_is(s, cw_py_fn.PyUnicode_Type) ? cw_py_fn.PyUnicode_AsUTF8(s) : NULL;
    snprintf(out, size, "%s", text ? text : "?");
    if (!text)
        cw_py_fn.PyErr_Clear();
}

static void call_for_text(void *fn, void *arg, char *out, size_t size)
{
    out[0] = '\0';
    void *r = fn ? cw_pyr_fn.PyObject_CallFunctionObjArgs(fn, arg, NULL) : NULL;
    if (r && cw_pyr_is(r, cw_py_fn.PyUnicode_Type))
        str_of(r, out, size);
    if (r)
        cw_py_fn.Py_DecRef(r);
    cw_py_fn.PyErr_Clear();
}

static const char *type_name(void *obj)
{
    /* tp_name (const char *) follows ob_refcnt, ob_type, ob_size in every type object */
    const char *name = *(const char *const *)((const char *)cw_pyr_type(obj) + 3 * sizeof(void *));
    const char *dot = name ? strrchr(name, '.') : NULL;
    return dot ? dot + 1 : name ? name : "?";
}

static const char *article(const char *word)
{
    return strchr("AEIOUaeiou", word[0]) && word[0] ? "an" : "a";
}

/* A file as the report shows frames: relative to the current directory when under it. */
static const char *display_path(const char *file)
{
    static char cwd[PATH_MAX];
    if (!file || file[0] != '/' || !getcwd(cwd, sizeof cwd))
        return file;
    size_t n = strlen(cwd);
    if (n > 1 && strncmp(file, cwd, n) == 0 && file[n] == '/')
        return file + n + 1;
    return file;
}

/* "global 'total' of module __main__", "attribute 'balance' of an Account
 * object created at bank.py:12", "item 'apple' of dict 'counts'". */
static void describe(const cw_pyr_var *var, char *out, size_t size)
{
    char name[160], text[256];
    str_of(var->name, name, sizeof name);
    switch (var->kind) {
    case CW_PYR_VAR_GLOBAL:
        call_for_text(module_name_fn, var->obj, text, sizeof text);
        snprintf(out, size, "global '%s' of module %s", name, text[0] ? text : "?");
        return;
    case CW_PYR_VAR_ATTR: {
        if (var->is_class) {
            const char *n = *(const char *const *)((const char *)var->obj + 3 * sizeof(void *));   /* tp_name */
            snprintf(out, size, "attribute '%s' of class %s", name, n ? n : "?");
            return;
        }
        const char *type = type_name(var->obj);
        cw_pyr_origin origin = cw_pyr_object_origin((uintptr_t)var->obj);
        if (origin.code) {
            cw_py_frame_ref f = { origin.code, origin.offset, 0 };
            cw_py_frame_text where;
            cw_py_frame_describe(&f, false, &where);   /* the code may be gone: safe reads */
            if (strcmp(where.file, "?") != 0) {
                snprintf(out, size, "attribute '%s' of %s %s object created at %.300s:%d", name, article(type), type,
                         display_path(where.file), where.line);
                return;
            }
        }
        if (var->text)
            snprintf(out, size, "attribute '%s' of %s %s object (`%s`)", name, article(type), type, var->text);
        else
            snprintf(out, size, "attribute '%s' of %s %s object", name, article(type), type);
        return;
    }
    case CW_PYR_VAR_ITEM: {
        char key[128];
        call_for_text(short_repr_fn, var->key, key, sizeof key);
        const char *type = type_name(var->obj);
        if (var->text)
            snprintf(out, size, "item %s of %s '%s'", key, type, var->text);
        else
            snprintf(out, size, "item %s of %s %s", key, article(type), type);
        return;
    }
    default:
        snprintf(out, size, "a variable");
    }
}

/* ---- locks ---------------------------------------------------------------------- */

typedef struct lock_ids {
    uintptr_t addr[2 * CW_PYR_LOCKSET_MAX];
    int n;
} lock_ids;

/* The program's own locks in a lockset: a Python lock of a type the user
 * made (not the runtime's bookkeeping, not a Condition's waiter). */
static int program_locks(uint32_t lockset, uintptr_t *out)
{
    uintptr_t all[CW_PYR_LOCKSET_MAX];
    int n = cw_pyr_lockset_locks(lockset, all, CW_PYR_LOCKSET_MAX), k = 0;
    for (int i = 0; i < n; i++) {
        cw_lock_slot *slot = cw_lock_table_find(all[i]);
        unsigned flags = slot ? atomic_load(&slot->flags) : 0;
        if (slot && (flags & CW_LOCK_PY_TYPE_MASK) && !(flags & (CW_LOCK_WAITER | CW_LOCK_INTERNAL)))
            out[k++] = all[i];
    }
    return k;
}

static int lock_id(lock_ids *ids, uintptr_t addr)
{
    for (int i = 0; i < ids->n; i++)
        if (ids->addr[i] == addr)
            return i + 1;
    ids->addr[ids->n] = addr;
    return ++ids->n;
}

static void describe_held(uint32_t lockset, lock_ids *ids, char *buf, size_t size)
{
    uintptr_t locks[CW_PYR_LOCKSET_MAX];
    int n = program_locks(lockset, locks);
    if (n == 0) {
        snprintf(buf, size, "holding no lock");
        return;
    }
    size_t len = (size_t)snprintf(buf, size, "holding");
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s %s M%d", i ? "," : "",
                                cw_lock_type_name(locks[i], CW_KIND_SEMAPHORE), lock_id(ids, locks[i]));
}

/* ---- the finding ------------------------------------------------------------------ */

static void thread_words(uint32_t index, char *label, size_t lsize, char *named, size_t nsize)
{
    cw_thread_label(index, label, (unsigned)lsize);
    const char *name = cw_pyr_thread_name(index);
    if (name)
        snprintf(named, nsize, "%s (%s)", label, name);
    else
        snprintf(named, nsize, "%s", label);
}

void cw_pyr_report(const cw_pyr_var *var, const cw_pyr_access *earlier, const cw_pyr_access *now)
{
    races_found++;
    if (!first_of_its_kind(var, earlier->stack, now->stack))
        return;
    cw_py_saved_error saved;
    cw_py_api_begin(&saved);
    char what[512];
    describe(var, what, sizeof what);
    cw_py_api_end(&saved);

    char ta[16], tb[16], na[96], nb[96];
    thread_words(earlier->thread, ta, sizeof ta, na, sizeof na);
    thread_words(now->thread, tb, sizeof tb, nb, sizeof nb);
    cw_record r;
    if (cw_record_begin(&r, "data-race",
                        "data race on %s: %s by %s and %s by %s, with nothing ordering the two accesses", what,
                        earlier->write ? "written" : "read", na, now->write ? "written" : "read", nb) != 0)
        return;
    lock_ids ids = { .n = 0 };
    char held_a[256], held_b[256];
    describe_held(earlier->lockset, &ids, held_a, sizeof held_a);
    describe_held(now->lockset, &ids, held_b, sizeof held_b);
    cw_record_stack(&r, ta, earlier->stack, "%s %s (%s)", earlier->write ? "writes" : "reads", what, held_a);
    cw_record_stack(&r, tb, now->stack, "%s %s, not ordered after the %s above (%s)",
                    now->write ? "writes" : "reads", what, earlier->write ? "write" : "read", held_b);
    for (int k = 0; k < ids.n; k++) {
        char id[16];
        snprintf(id, sizeof id, "M%d", k + 1);
        cw_lock_slot *slot = cw_lock_table_find(ids.addr[k]);
        cw_stack_id created = slot ? atomic_load(&slot->create_stack) : 0;
        cw_record_lock(&r, id, cw_lock_type_name(ids.addr[k], CW_KIND_SEMAPHORE), created ? "created" : "first used",
                       created, ids.addr[k]);
    }
    cw_record_note(&r, "found by following every access of the program's Python variables: no lock was held at "
                       "both, and no Thread.start/join, Queue, Event, Condition, Semaphore, Barrier or lock hand-over "
                       "orders one access before the other, so another interleaving can change the result");
    cw_record_end(&r);
}

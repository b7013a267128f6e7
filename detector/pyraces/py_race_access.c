#define _GNU_SOURCE
#include "py_race_access.h"

#include <string.h>

#include "py_race_api.h"
#include "py_race_report.h"
#include "py_race_shadow.h"
#include "py_race_thread.h"
#include "python/py_frames.h"
#include "python/py_runtime.h"
#include "races/happens_before.h"

/* What a type seen at a place was found to be (cw_pyr_entry.cache_verdict). */
enum { V_UNKNOWN = 0, V_SKIP, V_PLAIN, V_CLASS, V_MODULE, V_DICT, V_LIST };

/* cw_pyr_entry.skip */
enum { SKIP_UNDECIDED = 0, SKIP_YES, SKIP_NO };

#define TPFLAGS_TYPE_SUBCLASS (1ul << 31)

static void *init_name;                 /* "__init__", interned as every code's names are */
static void *module_code_name;          /* "<module>" */
static void *name_key;                  /* "__name__" */
static void *lock_type, *rlock_type;    /* _thread.lock, _thread.RLock */
static void *dict_subscript, *dict_ass_subscript, *list_subscript, *list_ass_subscript;
static void *type_getattro, *type_setattro;

typedef struct dict_method {
    const char *name;
    bool write, atomic;
    void *def;                          /* its PyMethodDef */
} dict_method;

static dict_method dict_methods[] = {
    { "get", false, false, NULL },
    { "__getitem__", false, false, NULL },
    { "__contains__", false, false, NULL },
    { "setdefault", true, true, NULL },
    { "pop", true, true, NULL },
    { "__setitem__", true, false, NULL },
    { "__delitem__", true, false, NULL },
};
#define N_DICT_METHODS (sizeof dict_methods / sizeof dict_methods[0])

static bool probing;
static void *probe_objs[2];
static int probe_seen;

static void *attr_of(void *obj, const char *name)
{
    void *v = obj ? cw_pyr_fn.PyObject_GetAttrString(obj, name) : NULL;
    if (!v)
        cw_py_fn.PyErr_Clear();
    return v;
}

bool cw_pyr_access_init(void)
{
    const cw_py_layout *L = cw_py.layout;
    init_name = cw_pyr_fn.PyUnicode_InternFromString("__init__");
    module_code_name = cw_pyr_fn.PyUnicode_InternFromString("<module>");
    name_key = cw_pyr_fn.PyUnicode_InternFromString("__name__");
    void *thread_mod = cw_pyr_fn.PyImport_ImportModule("_thread");
    lock_type = attr_of(thread_mod, "LockType");
    rlock_type = attr_of(thread_mod, "RLock");
    if (thread_mod)
        cw_py_fn.Py_DecRef(thread_mod);
    dict_subscript = cw_pyr_fn.PyType_GetSlot(cw_pyr_fn.PyDict_Type, CW_PY_MP_SUBSCRIPT);
    dict_ass_subscript = cw_pyr_fn.PyType_GetSlot(cw_pyr_fn.PyDict_Type, CW_PY_MP_ASS_SUBSCRIPT);
    list_subscript = cw_pyr_fn.PyType_GetSlot(cw_pyr_fn.PyList_Type, CW_PY_MP_SUBSCRIPT);
    list_ass_subscript = cw_pyr_fn.PyType_GetSlot(cw_pyr_fn.PyList_Type, CW_PY_MP_ASS_SUBSCRIPT);
    type_getattro = cw_pyr_fn.PyType_GetSlot(cw_pyr_fn.PyType_Type, CW_PY_TP_GETATTRO);
    type_setattro = cw_pyr_fn.PyType_GetSlot(cw_pyr_fn.PyType_Type, CW_PY_TP_SETATTRO);
    for (size_t i = 0; i < N_DICT_METHODS; i++) {
        void *name = cw_py_fn.PyUnicode_FromString(dict_methods[i].name);
        void *descr = name ? cw_pyr_fn._PyType_Lookup(cw_pyr_fn.PyDict_Type, name) : NULL;
        if (descr && cw_pyr_is(descr, cw_pyr_fn.PyMethodDescr_Type))
            dict_methods[i].def = cw_pyr_field(descr, L->descr_method);
        if (name)
            cw_py_fn.Py_DecRef(name);
    }
    cw_py_fn.PyErr_Clear();
    return init_name && module_code_name && name_key && lock_type && rlock_type && dict_subscript && list_subscript && type_getattro;
}

/* ---- what a value or a type is ---------------------------------------------- */

/* A definition rather than shared state: a function, a class, a module, a
 * builtin, a lock. */
static bool is_definition(void *v)
{
    void *t = cw_pyr_type(v);
    return t == cw_pyr_fn.PyFunction_Type || t == cw_pyr_fn.PyCFunction_Type || t == cw_pyr_fn.PyModule_Type ||
           t == cw_pyr_fn.PyMethodDescr_Type || t == lock_type || t == rlock_type ||
           (cw_pyr_fn.PyType_GetFlags(t) & TPFLAGS_TYPE_SUBCLASS);
}

/* Decides once per place whether a load there reads a definition: the
 * name's value in `dict` (or in the builtins) now.  Undecided while the
 * name is bound nowhere yet. */
static void decide_skip(cw_pyr_entry *e, void *dict)
{
    void *v = cw_pyr_fn.PyDict_GetItemWithError(dict, e->name);
    if (!v) {
        cw_py_fn.PyErr_Clear();
        void *builtins = cw_pyr_fn.PyEval_GetBuiltins();
        v = builtins && builtins != dict ? cw_pyr_fn.PyDict_GetItemWithError(builtins, e->name) : NULL;
        if (!v) {
            cw_py_fn.PyErr_Clear();
            return;
        }
        e->skip = SKIP_YES;   /* a builtin */
        return;
    }
    e->skip = is_definition(v) ? SKIP_YES : SKIP_NO;
}

static int attr_verdict(void *obj, void *tp, const cw_pyr_entry *e, bool write)
{
    if (tp == cw_pyr_fn.PyModule_Type)
        return V_MODULE;
    if (cw_pyr_fn.PyType_GetFlags(tp) & TPFLAGS_TYPE_SUBCLASS) {   /* obj is a class */
        void *get = cw_pyr_fn.PyType_GetSlot(tp, CW_PY_TP_GETATTRO);
        void *set = cw_pyr_fn.PyType_GetSlot(tp, CW_PY_TP_SETATTRO);
        return get == type_getattro && set == type_setattro ? V_CLASS : V_SKIP;
    }
    (void)obj;
    void *slot = cw_pyr_fn.PyType_GetSlot(tp, write ? CW_PY_TP_SETATTRO : CW_PY_TP_GETATTRO);
    if (slot != (write ? cw_pyr_fn.PyObject_GenericSetAttr : cw_pyr_fn.PyObject_GenericGetAttr))
        return V_SKIP;   /* threading.local, a proxy, __getattr__/__setattr__: their code is checked */
    void *descr = cw_pyr_fn._PyType_Lookup(tp, e->name);
    if (descr) {
        void *dt = cw_pyr_type(descr);
        if (dt != cw_pyr_fn.PyMemberDescr_Type && cw_pyr_fn.PyType_GetSlot(dt, CW_PY_TP_DESCR_SET))
            return V_SKIP;   /* a property or another data descriptor: its code is checked */
    }
    cw_py_fn.PyErr_Clear();
    return V_PLAIN;
}

static int item_verdict(void *tp)
{
    if (tp == cw_pyr_fn.PyDict_Type)
        return V_DICT;
    if (tp == cw_pyr_fn.PyList_Type)
        return V_LIST;
    void *get = cw_pyr_fn.PyType_GetSlot(tp, CW_PY_MP_SUBSCRIPT);
    void *set = cw_pyr_fn.PyType_GetSlot(tp, CW_PY_MP_ASS_SUBSCRIPT);
    cw_py_fn.PyErr_Clear();
    if (get == dict_subscript && set == dict_ass_subscript)
        return V_DICT;
    if (get == list_subscript && set == list_ass_subscript)
        return V_LIST;
    return V_SKIP;
}

/* The verdict for the type of obj at this place, cached for the last type seen. */
static int verdict_at(cw_pyr_entry *e, void *obj, bool item, bool write)
{
    void *tp = cw_pyr_type(obj);
    if (e->cache_type == tp && e->cache_verdict != V_UNKNOWN)
        return e->cache_verdict;
    int v = item ? item_verdict(tp) : attr_verdict(obj, tp, e, write);
    e->cache_type = tp;
    e->cache_verdict = (uint8_t)v;
    return v;
}

/* A key as a variable's: a list's index (from its end when negative); a
 * dict key's hash for the value types (equal keys, equal hashes), its
 * address for any other object.  False for what is not one item (slices). */
static bool key_of(void *cont, void *key, int verdict, uint64_t *out)
{
    void *kt = cw_pyr_type(key);
    if (verdict == V_LIST) {
        if (kt != cw_pyr_fn.PyLong_Type && kt != cw_pyr_fn.PyBool_Type)
            return false;
        ssize_t i = cw_pyr_fn.PyLong_AsSsize_t(key);
        if (i == -1 && cw_pyr_fn.PyErr_Occurred()) {
            cw_py_fn.PyErr_Clear();
            return false;
        }
        if (i < 0)
            i += cw_pyr_fn.PyList_Size(cont);
        *out = (uint64_t)i;
        return i >= 0;
    }
    if (kt == cw_pyr_fn.PySlice_Type)
        return false;
    if (kt == cw_py_fn.PyUnicode_Type || kt == cw_pyr_fn.PyLong_Type || kt == cw_pyr_fn.PyBool_Type ||
        kt == cw_pyr_fn.PyFloat_Type || kt == cw_pyr_fn.PyBytes_Type || kt == cw_pyr_fn.PyTuple_Type) {
        ssize_t h = cw_pyr_fn.PyObject_Hash(key);
        if (h == -1) {
            cw_py_fn.PyErr_Clear();
            return false;
        }
        *out = (uint64_t)h;
        return true;
    }
    *out = (uint64_t)(uintptr_t)key;
    return true;
}

/* ---- where an object was made ------------------------------------------- */

/* The object's first variable: if that is set by its own __init__ (and the
 * __init__s of its bases it calls), the frame that called the class made it. */
static void find_origin(uintptr_t obj)
{
    const cw_py_layout *L = cw_py.layout;
    cw_py_frame_ref f[8];
    int n = cw_py_current_frames(f, 8);
    int k = 0;
    while (k < n && f[k].frame && cw_pyr_field((void *)f[k].code, L->code_name) == init_name &&
           (uintptr_t)cw_pyr_field((void *)f[k].frame, L->frame_localsplus) == obj)
        k++;
    if (k > 0 && k < n)
        cw_pyr_object_set_origin(obj, (cw_pyr_origin){ f[k].code, f[k].lasti });
}

/* ---- imports -------------------------------------------------------------- */

/* The calling thread is importing a module: a module's own code (not
 * __main__'s) is on its stack.  What a module does while it is imported
 * (its globals set, its tables filled, functions it calls) is done before
 * any other thread can use it (an import that finds the module being
 * imported waits for it; one that finds it imported takes no lock at all,
 * so no synchronisation the shim sees orders the two): not checked.  (An
 * edge from the end of an import to every later import of that module
 * would order the importing thread's whole past, hiding its earlier races
 * in some runs only.) */
/* A code's name is "<module>" (not always the interned string's object). */
static bool is_module_name(void *name)
{
    const cw_py_layout *L = cw_py.layout;
    if (name == module_code_name)
        return true;
    if (!name || !cw_pyr_is(name, cw_py_fn.PyUnicode_Type) ||
        *(const int64_t *)((const char *)name + L->unicode_length) != 8)
        return false;
    const char *text = cw_py_fn.PyUnicode_AsUTF8(name);
    return text && strcmp(text, "<module>") == 0;
}

static bool importing(uintptr_t frame)
{
    const cw_py_layout *L = cw_py.layout;
    for (int depth = 0; frame && depth < 256; depth++) {
        bool c_frame = L->frame_owner >= 0 && *(const signed char *)(frame + (uintptr_t)L->frame_owner) == L->owner_cstack;
        void *code = c_frame ? NULL : cw_pyr_field((void *)frame, L->frame_code);
        if (code && cw_pyr_type(code) == cw_py_fn.PyCode_Type && is_module_name(cw_pyr_field(code, L->code_name))) {
            void *globals = cw_pyr_field((void *)frame, L->frame_globals);
            void *name = globals ? cw_pyr_fn.PyDict_GetItemWithError(globals, name_key) : NULL;
            const char *text = name && cw_pyr_is(name, cw_py_fn.PyUnicode_Type) ? cw_py_fn.PyUnicode_AsUTF8(name) : NULL;
            cw_py_fn.PyErr_Clear();
            if (!text || strcmp(text, "__main__") != 0)
                return true;
        }
        frame = (uintptr_t)cw_pyr_field((void *)frame, L->frame_previous);
    }
    return false;
}

/* ---- the check ----------------------------------------------------------- */

static void check(cw_pyr_entry *e, const cw_pyr_var *var, uint64_t key, bool write, bool atomic, uintptr_t code,
                  int offset, uintptr_t frame)
{
    uintptr_t obj = (uintptr_t)var->obj;
    if (__builtin_expect(probing, 0)) {
        if (obj == (uintptr_t)probe_objs[0] && var->kind == CW_PYR_VAR_ATTR)
            probe_seen |= write ? 1 : 2;
        else if (obj == (uintptr_t)probe_objs[1] && var->kind == CW_PYR_VAR_ITEM)
            probe_seen |= write ? 4 : 8;
        return;
    }
    cw_pyr_thread *pt = cw_pyr_thread_self();
    if (!pt)
        return;
    if (__builtin_expect(!pt->named, 0))
        cw_pyr_thread_learn_name(pt);
    cw_hb_epoch now = cw_hb_now();
    if (!now)
        return;
    /* The common case: this place touches the variable it touched last,
     * which this thread accessed so since its last synchronisation. */
    cw_pyr_cell *c = cw_pyr_cell_hint(e->cache_cell, obj, key, var->kind);
    /* A place that goes round several variables (d[k] for 8 keys) misses
     * the hint every time: the variable's cell, without the walk of the
     * stack importing() does, which only a new access needs. */
    if (!c && (c = cw_pyr_cell_find(obj, key, var->kind)) != NULL)
        e->cache_cell = (uint32_t)(c - cw_pyr_cells);
    if (c && cw_pyr_access_known(c, now, write, atomic))
        return;
    if (importing(frame))
        return;
    bool new_object = false;
    if (!c)
        c = cw_pyr_cell_hinted(&e->cache_cell, obj, key, var->kind, &new_object);
    if (!c)
        return;
    if (new_object && var->kind == CW_PYR_VAR_ATTR && !var->is_class)
        find_origin(obj);
    cw_pyr_access earlier, current;
    if (cw_pyr_access_cell(c, pt, now, write, atomic, frame, code, offset, &earlier, &current))
        cw_pyr_report(var, &earlier, &current);
}

static bool global_access(cw_pyr_entry *e, void *dict, bool write, uintptr_t code, int offset, uintptr_t frame)
{
    if (!write) {
        if (e->skip == SKIP_UNDECIDED)
            decide_skip(e, dict);
        if (e->skip == SKIP_YES)
            return true;
    }
    cw_pyr_var var = { .kind = CW_PYR_VAR_GLOBAL, .obj = dict, .name = e->name };
    check(e, &var, (uint64_t)e->hash, write, false, code, offset, frame);
    return false;
}

static bool attr_access(cw_pyr_entry *e, void *obj, bool write, uintptr_t code, int offset, uintptr_t frame)
{
    if (!obj || !e->name)
        return false;
    int v = verdict_at(e, obj, false, write);
    if (v == V_SKIP)
        return false;
    if (v == V_MODULE) {
        void *dict = cw_pyr_fn.PyModule_GetDict(obj);
        return dict ? global_access(e, dict, write, code, offset, frame) : false;
    }
    if (v == V_CLASS && !write) {
        if (e->skip == SKIP_UNDECIDED) {
            void *value = cw_pyr_fn._PyType_Lookup(obj, e->name);
            e->skip = value && is_definition(value) ? SKIP_YES : SKIP_NO;
        }
        if (e->skip == SKIP_YES)
            return true;
    }
    cw_pyr_var var = { .kind = CW_PYR_VAR_ATTR, .obj = obj, .name = e->name, .text = e->text,
                       .is_class = v == V_CLASS };
    check(e, &var, (uint64_t)e->hash, write, false, code, offset, frame);
    return false;
}

static void item_access(cw_pyr_entry *e, void *cont, void *key, bool write, bool atomic, bool dict_only,
                        uintptr_t code, int offset, uintptr_t frame)
{
    if (!cont || !key)
        return;
    int v = verdict_at(e, cont, true, write);
    if (v != V_DICT && (v != V_LIST || dict_only))
        return;
    uint64_t k;
    if (!key_of(cont, key, v, &k))
        return;
    cw_pyr_var var = { .kind = CW_PYR_VAR_ITEM, .obj = cont, .key = key, .text = e->text };
    check(e, &var, k, write, atomic, code, offset, frame);
}

/* d.get(k) and its kind: the callable is dict's method descriptor. */
static void call_access(cw_pyr_entry *e, void **sp, uintptr_t code, int offset, uintptr_t frame)
{
    int n = e->nargs;
    void *func, *self;
    if (cw_py.version >= 0x030D) {
        func = sp[-(n + 2)];
        self = sp[-(n + 1)];
    } else {
        void *method = sp[-(n + 2)], *x = sp[-(n + 1)];
        func = method ? method : x;
        self = method ? x : NULL;
    }
    if (!self || n < 1 || !cw_pyr_is(func, cw_pyr_fn.PyMethodDescr_Type))
        return;
    void *def = cw_pyr_field(func, cw_py.layout->descr_method);
    for (size_t i = 0; i < N_DICT_METHODS; i++)
        if (dict_methods[i].def == def) {
            if (cw_pyr_type(self) != cw_pyr_fn.PyDict_Type &&
                !cw_pyr_fn.PyType_IsSubtype(cw_pyr_type(self), cw_pyr_fn.PyDict_Type))
                return;   /* the call will fail */
            void *key = sp[-n];
            uint64_t k;
            if (!key || !key_of(self, key, V_DICT, &k))
                return;
            cw_pyr_var var = { .kind = CW_PYR_VAR_ITEM, .obj = self, .key = key, .text = e->text };
            check(e, &var, k, dict_methods[i].write, dict_methods[i].atomic, code, offset, frame);
            return;
        }
}

bool cw_pyr_on_instruction(cw_pyr_entry *e, uintptr_t code, int offset, uintptr_t frame, void **sp)
{
    const cw_py_layout *L = cw_py.layout;
    if (e->skip == SKIP_YES)
        return true;
    switch (e->kind) {
    case CW_PYR_GLOBAL_READ:
    case CW_PYR_GLOBAL_WRITE:
        if (!e->name)
            return true;
        return global_access(e, cw_pyr_field((void *)frame, L->frame_globals), e->kind == CW_PYR_GLOBAL_WRITE,
                             code, offset, frame);
    case CW_PYR_NAME_READ:
    case CW_PYR_NAME_WRITE: {
        void *globals = cw_pyr_field((void *)frame, L->frame_globals);
        if (!e->name || cw_pyr_field((void *)frame, L->frame_locals) != globals) {
            e->skip = SKIP_YES;   /* a class body's namespace, or exec's own locals */
            return true;
        }
        return global_access(e, globals, e->kind == CW_PYR_NAME_WRITE, code, offset, frame);
    }
    case CW_PYR_ATTR_READ:
    case CW_PYR_ATTR_WRITE:
        return attr_access(e, sp[-1], e->kind == CW_PYR_ATTR_WRITE, code, offset, frame);
    case CW_PYR_ITEM_READ:
    case CW_PYR_ITEM_WRITE:
        item_access(e, sp[-2], sp[-1], e->kind == CW_PYR_ITEM_WRITE, false, false, code, offset, frame);
        return false;
    case CW_PYR_CONTAINS:
        item_access(e, sp[-1], sp[-2], false, false, true, code, offset, frame);
        return false;
    case CW_PYR_CALL:
        call_access(e, sp, code, offset, frame);
        return false;
    default:
        return true;
    }
}

void cw_pyr_probe_begin(void *obj, void *dict)
{
    probe_objs[0] = obj;
    probe_objs[1] = dict;
    probe_seen = 0;
    probing = true;
}

int cw_pyr_probe_end(void)
{
    probing = false;
    int seen = 0;
    for (int bit = 0; bit < 4; bit++)
        seen += (probe_seen >> bit) & 1;
    return seen;
}

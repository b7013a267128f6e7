#define _GNU_SOURCE
#include "py_race_decode.h"

#include <stdlib.h>
#include <string.h>

#include "py_race_api.h"
#include "python/py_code_life.h"
#include "python/py_runtime.h"

const char *const cw_pyr_kind_names[CW_PYR_NKINDS] = {
    [CW_PYR_NONE] = "none",
    [CW_PYR_GLOBAL_READ] = "global_read",
    [CW_PYR_GLOBAL_WRITE] = "global_write",
    [CW_PYR_NAME_READ] = "name_read",
    [CW_PYR_NAME_WRITE] = "name_write",
    [CW_PYR_ATTR_READ] = "attr_read",
    [CW_PYR_ATTR_WRITE] = "attr_write",
    [CW_PYR_ITEM_READ] = "item_read",
    [CW_PYR_ITEM_WRITE] = "item_write",
    [CW_PYR_CONTAINS] = "contains",
    [CW_PYR_CALL] = "call",
    [CW_PYR_CHECK] = "check",
};

cw_pyr_code_hint cw_pyr_code_cache[CW_PYR_CODE_CACHE];
uint64_t cw_pyr_code_generation = 1;

static void *decode_fn;
static ssize_t extra_index = -1;
static unsigned rejected;

/* The table of code that is not watched: decoded, nothing in it. */
static cw_pyr_code unwatched;

void cw_pyr_decode_init(void *fn, ssize_t index)
{
    decode_fn = fn;
    extra_index = index;
}

unsigned cw_pyr_decode_rejected(void)
{
    return rejected;
}

void cw_pyr_code_free(void *p)
{
    cw_pyr_code *c = p;
    cw_pyr_code_generation++;   /* a code object goes: its address may be another's next */
    if (!c || c == &unwatched)
        return;
    for (int i = 0; i < c->nentries; i++) {
        free(c->entries[i].text);
        if (c->entries[i].name)
            cw_py_fn.Py_DecRef(c->entries[i].name);
    }
    free(c->entries);
    free(c->index);
    free(c);
}

static long as_long(void *obj)
{
    return obj ? cw_py_fn.PyLong_AsLong(obj) : -1;
}

/* One entry from the helper's tuple (offset, kind, name, nargs, depth, text). */
static bool fill_entry(cw_pyr_code *c, void *tuple)
{
    if (cw_py_fn.PyTuple_Size(tuple) != 6)
        return false;
    long offset = as_long(cw_py_fn.PyTuple_GetItem(tuple, 0));
    long kind = as_long(cw_py_fn.PyTuple_GetItem(tuple, 1));
    void *name = cw_py_fn.PyTuple_GetItem(tuple, 2);
    long nargs = as_long(cw_py_fn.PyTuple_GetItem(tuple, 3));
    long depth = as_long(cw_py_fn.PyTuple_GetItem(tuple, 4));
    void *text = cw_py_fn.PyTuple_GetItem(tuple, 5);
    if (offset < 0 || offset / 2 >= c->units || kind <= 0 || kind >= CW_PYR_NKINDS || nargs < 0 || nargs > 255 ||
        depth < 0 || depth > 65535 || c->index[offset / 2])
        return false;
    cw_pyr_entry *e = &c->entries[c->nentries];
    *e = (cw_pyr_entry){ .kind = (uint8_t)kind, .nargs = (uint8_t)nargs, .depth = (uint16_t)depth };
    if (name && cw_pyr_is(name, cw_py_fn.PyUnicode_Type)) {
        ssize_t h = cw_pyr_fn.PyObject_Hash(name);
        if (h == -1)
            return false;
        cw_py_fn.Py_IncRef(name);
        e->name = name;
        e->hash = h;
    }
    if (text && cw_pyr_is(text, cw_py_fn.PyUnicode_Type)) {
        const char *s = cw_py_fn.PyUnicode_AsUTF8(text);
        e->text = s ? strdup(s) : NULL;
    }
    c->index[offset / 2] = (uint16_t)(c->nentries + 1);
    c->nentries++;
    if (cw_pyr_kind_is_access(e->kind))
        c->accesses++;
    return true;
}

static cw_pyr_code *build(void *result)
{
    if (result == cw_pyr_fn.PyNone)
        return &unwatched;
    void *units = cw_py_fn.PyTuple_Size(result) == 3 ? cw_py_fn.PyTuple_GetItem(result, 0) : NULL;
    void *list = units ? cw_py_fn.PyTuple_GetItem(result, 1) : NULL;
    void *bad = units ? cw_py_fn.PyTuple_GetItem(result, 2) : NULL;
    if (!list || !bad)
        return NULL;
    if (cw_py_fn.PyObject_IsTrue(bad) == 1) {
        rejected++;
        return &unwatched;
    }
    long n_units = as_long(units);
    ssize_t n = cw_pyr_fn.PyList_Size(list);
    if (n_units <= 0 || n < 0 || n > 65534)
        return n_units > 0 && n == 0 ? &unwatched : NULL;
    cw_pyr_code *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->units = (int)n_units;
    c->index = calloc((size_t)n_units, sizeof *c->index);
    c->entries = calloc((size_t)(n ? n : 1), sizeof *c->entries);
    if (!c->index || !c->entries) {
        cw_pyr_code_free(c);
        return NULL;
    }
    for (ssize_t i = 0; i < n; i++)
        if (!fill_entry(c, cw_pyr_fn.PyList_GetItem(list, i))) {
            cw_pyr_code_free(c);
            return NULL;
        }
    return c;
}

cw_pyr_code *cw_pyr_code_lookup(void *code)
{
    /* Not watched, and not written to (3.13's static __init__ shim). */
    if (!cw_py_code_writable(code))
        return NULL;
    void *extra = NULL;
    if (extra_index < 0 || cw_py_fn.Code_GetExtra(code, extra_index, &extra) != 0) {
        cw_py_fn.PyErr_Clear();
        return NULL;
    }
    if (extra)
        return extra == &unwatched ? NULL : extra;
    cw_py_saved_error e;
    cw_py_api_begin(&e);
    void *result = cw_pyr_fn.PyObject_CallFunctionObjArgs(decode_fn, code, NULL);
    cw_pyr_code *c = result ? build(result) : NULL;
    if (result)
        cw_py_fn.Py_DecRef(result);
    if (!c)
        c = &unwatched;   /* the helper failed on it: never asked again */
    if (cw_py_fn.Code_SetExtra(code, extra_index, c) != 0) {
        cw_pyr_code_free(c);
        c = &unwatched;
    }
    cw_py_api_end(&e);
    return c == &unwatched ? NULL : c;
}

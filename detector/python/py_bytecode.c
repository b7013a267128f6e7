#define _GNU_SOURCE
#include "py_bytecode.h"

#include <string.h>
#include <sys/types.h>

#include "py_runtime.h"

/* The opcodes a call to acquire is made of, per version (-1: not in that
 * version's bytecode).  From each version's opcode.opmap. */
typedef struct opcode_table {
    unsigned version;
    int cache, extended_arg, load_const;
    int load_attr, load_method, load_global, load_name;   /* the callable */
    int call_method, call_function, call_function_kw;     /* 3.10 */
    int precall, kw_names, call, call_kw;                 /* 3.11+ */
    bool global_name_shift;     /* LOAD_GLOBAL's name is oparg >> 1 (3.11+) */
    bool attr_name_shift;       /* LOAD_ATTR's name is oparg >> 1 (3.12+) */
} opcode_table;

static const opcode_table tables[] = {
    { .version = 0x030A, .cache = -1, .extended_arg = 144, .load_const = 100,
      .load_attr = 106, .load_method = 160, .load_global = 116, .load_name = 101,
      .call_method = 161, .call_function = 131, .call_function_kw = 141,
      .precall = -1, .kw_names = -1, .call = -1, .call_kw = -1 },
    { .version = 0x030B, .cache = 0, .extended_arg = 144, .load_const = 100,
      .load_attr = 106, .load_method = 160, .load_global = 116, .load_name = 101,
      .call_method = -1, .call_function = -1, .call_function_kw = -1,
      .precall = 166, .kw_names = 172, .call = 171, .call_kw = -1, .global_name_shift = true },
    { .version = 0x030C, .cache = 0, .extended_arg = 144, .load_const = 100,
      .load_attr = 106, .load_method = -1, .load_global = 116, .load_name = 101,
      .call_method = -1, .call_function = -1, .call_function_kw = -1,
      .precall = -1, .kw_names = 172, .call = 171, .call_kw = -1,
      .global_name_shift = true, .attr_name_shift = true },
    { .version = 0x030D, .cache = 0, .extended_arg = 71, .load_const = 83,
      .load_attr = 82, .load_method = -1, .load_global = 91, .load_name = 92,
      .call_method = -1, .call_function = -1, .call_function_kw = -1,
      .precall = -1, .kw_names = -1, .call = 53, .call_kw = 57,
      .global_name_shift = true, .attr_name_shift = true },
};

static const opcode_table *table_for(unsigned version)
{
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (tables[i].version == version)
            return &tables[i];
    return NULL;
}

typedef struct insn {
    int offset, op, arg;
} insn;

#define WINDOW 16   /* instructions kept before the call: acquire takes two arguments at most */

/* The instructions up to and including the one at `lasti`, the last WINDOW of them. */
static int decode(const opcode_table *T, const unsigned char *code, ssize_t size, int lasti, insn *ring, int *count)
{
    int n = 0, ext = 0;
    for (int off = 0; off + 1 < size && off <= lasti; off += 2) {
        int op = code[off], arg = code[off + 1] | ext;
        if (op == T->cache)
            continue;
        if (op == T->extended_arg) {
            ext = arg << 8;
            continue;
        }
        ext = 0;
        ring[n % WINDOW] = (insn){ off, op, arg };
        n++;
    }
    *count = n;
    return n ? ring[(n - 1) % WINDOW].offset : -1;
}

static bool is_false(void *obj)
{
    return obj && cw_py_fn.PyObject_IsTrue(obj) == 0;
}

static bool str_is(void *s, const char *want)
{
    const char *text = s ? cw_py_fn.PyUnicode_AsUTF8(s) : NULL;
    return text && strcmp(text, want) == 0;
}

/* The reading proper (API calls; the caller saved the program's exception). */
static bool read_call(const opcode_table *T, int lasti, void *co_code, void *consts, void *names)
{
    const unsigned char *bytes = (const unsigned char *)cw_py_fn.PyBytes_AsString(co_code);
    ssize_t size = cw_py_fn.PyBytes_Size(co_code);
    insn ring[WINDOW];
    int count;
    if (!bytes || decode(T, bytes, size, lasti, ring, &count) != lasti)
        return false;
#define AT(k) (ring[((k) % WINDOW + WINDOW) % WINDOW])
    int i = count - 1;   /* the call */
    const insn call = AT(i);
    int nargs = call.arg;
    void *kwnames = NULL;
    if (call.op == T->call_method || call.op == T->call_function) {
        /* positional only */
    } else if (call.op == T->call_function_kw || call.op == T->call_kw) {
        if (i < 1 || AT(i - 1).op != T->load_const)
            return false;
        kwnames = cw_py_fn.PyTuple_GetItem(consts, AT(i - 1).arg);
        if (!kwnames)
            return false;
        i--;
    } else if (call.op == T->call) {
        if (T->precall >= 0) {
            if (i < 1 || AT(i - 1).op != T->precall)
                return false;
            i--;
        }
        if (T->kw_names >= 0 && i >= 1 && AT(i - 1).op == T->kw_names) {
            kwnames = cw_py_fn.PyTuple_GetItem(consts, AT(i - 1).arg);
            if (!kwnames)
                return false;
            i--;
        }
    } else {
        return false;   /* not a call: `with lock:` and the like wait */
    }
    if (nargs < 1 || nargs > 2 || i - nargs - 1 < 0 || count - (i - nargs - 1) > WINDOW)
        return false;
    ssize_t nkw = kwnames ? cw_py_fn.PyTuple_Size(kwnames) : 0;
    if (nkw < 0 || nkw > nargs)
        return false;
    /* The callable: an attribute or a global named acquire. */
    const insn fn = AT(i - nargs - 1);
    int name = -1;
    if (fn.op == T->load_attr)
        name = T->attr_name_shift ? fn.arg >> 1 : fn.arg;
    else if (fn.op == T->load_method || fn.op == T->load_name)
        name = fn.arg;
    else if (fn.op == T->load_global)
        name = T->global_name_shift ? fn.arg >> 1 : fn.arg;
    if (name < 0)
        return false;
    void *callable = cw_py_fn.PyTuple_GetItem(names, name);
    if (!str_is(callable, "acquire") && !str_is(callable, "acquire_lock"))
        return false;
    /* acquire(blocking=True, timeout=-1): a false `blocking` or a zero
     * `timeout` never waits. */
    bool nonblocking = false;
    for (int j = 0; j < nargs; j++) {
        const insn a = AT(i - nargs + j);
        if (a.op != T->load_const)
            return false;   /* computed: it may wait */
        void *value = cw_py_fn.PyTuple_GetItem(consts, a.arg);
        if (!value)
            return false;
        int positional = nargs - (int)nkw;
        bool is_blocking = j < positional ? j == 0 : str_is(cw_py_fn.PyTuple_GetItem(kwnames, j - positional), "blocking");
        bool is_timeout = j < positional ? j == 1 : str_is(cw_py_fn.PyTuple_GetItem(kwnames, j - positional), "timeout");
        if ((is_blocking || is_timeout) && is_false(value))
            nonblocking = true;
    }
#undef AT
    return nonblocking;
}

bool cw_py_call_is_nonblocking_acquire(uintptr_t code, int lasti)
{
    const opcode_table *T = table_for(cw_py.version);
    if (!T) {
        cw_py_feature_off("recognising non-blocking acquire(False)", "this version's bytecode is not known");
        return false;
    }
    if (!code || lasti < 0)
        return false;
    cw_py_saved_error e;
    cw_py_api_begin(&e);
    void *co_code = cw_py_fn.PyObject_GetAttrString((void *)code, "co_code");   /* base opcodes */
    void *consts = cw_py_fn.PyObject_GetAttrString((void *)code, "co_consts");
    void *names = cw_py_fn.PyObject_GetAttrString((void *)code, "co_names");
    bool nonblocking = co_code && consts && names && read_call(T, lasti, co_code, consts, names);
    if (co_code)
        cw_py_fn.Py_DecRef(co_code);
    if (consts)
        cw_py_fn.Py_DecRef(consts);
    if (names)
        cw_py_fn.Py_DecRef(names);
    cw_py_api_end(&e);
    return nonblocking;
}

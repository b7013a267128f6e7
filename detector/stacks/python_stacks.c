#define _GNU_SOURCE
#include "python_stacks.h"

#include <dlfcn.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../events/spin_lock.h"
#include "../events/thread_state.h"

typedef const char *(*dump_fn)(int fd, void *interp, void *current_tstate);
typedef void (*dump_one_fn)(int fd, void *tstate);
typedef void *(*this_tstate_fn)(void);
typedef void *(*main_interp_fn)(void);

bool cw_python_stacks_dump(cw_python_stacks *out)
{
    out->text = NULL;
    out->len = 0;
    dump_fn dump = (dump_fn)dlsym(RTLD_DEFAULT, "_Py_DumpTracebackThreads");
    main_interp_fn main_interp = (main_interp_fn)dlsym(RTLD_DEFAULT, "PyInterpreterState_Main");
    if (!dump || !main_interp)
        return false;
    void *interp = main_interp();
    if (!interp)
        return false;
    int fd = memfd_create("concwatch-python-stacks", MFD_CLOEXEC);
    if (fd < 0)
        return false;
    dump(fd, interp, NULL);
    off_t size = lseek(fd, 0, SEEK_END);
    if (size > 0) {
        out->text = malloc((size_t)size + 1);
        if (out->text && pread(fd, out->text, (size_t)size, 0) == size) {
            out->text[size] = '\0';
            out->len = (size_t)size;
        } else {
            free(out->text);
            out->text = NULL;
        }
    }
    close(fd);
    return out->text != NULL;
}

/* Turns consecutive '  File "app.py", line 12 in worker' lines into pyframe records. */
static void record_frame_lines(cw_record *r, const char *p)
{
    while (p && strncmp(p, "  File \"", 8) == 0) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[1024];
        if (len >= sizeof line)
            len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        char *file = line + 8;
        char *q = strstr(file, "\", line ");
        if (q) {
            *q = '\0';
            char *in = strstr(q + 8, " in ");
            cw_record_pyframe(r, file, atoi(q + 8), in ? in + 4 : "?");
        }
        p = eol ? eol + 1 : NULL;
    }
}

/* The frame lines of `thread` in the dump (just after its header line). */
static const char *find_thread(const cw_python_stacks *py, pthread_t thread)
{
    char ident[64];
    snprintf(ident, sizeof ident, "0x%016lx", (unsigned long)thread);
    for (const char *p = py->text; p && *p;) {
        const char *eol = strchr(p, '\n');
        if ((strncmp(p, "Thread ", 7) == 0 || strncmp(p, "Current thread ", 15) == 0) &&
            strstr(p, ident) && (!eol || strstr(p, ident) < eol))
            return eol ? eol + 1 : NULL;
        p = eol ? eol + 1 : NULL;
    }
    return NULL;
}

bool cw_python_stacks_record(const cw_python_stacks *py, pthread_t thread, cw_record *r,
                             const char *thread_label, const char *role)
{
    const char *p = find_thread(py, thread);
    if (!p || strncmp(p, "  File \"", 8) != 0)
        return false;
    cw_record_stack_pcs(r, thread_label, NULL, 0, 0, role);
    record_frame_lines(r, p);
    return true;
}

bool cw_python_stacks_top(const cw_python_stacks *py, pthread_t thread, char *file, size_t file_size,
                          char *function, size_t function_size)
{
    const char *p = find_thread(py, thread);
    if (!p || strncmp(p, "  File \"", 8) != 0)
        return false;
    const char *eol = strchr(p, '\n');
    const char *end = eol ? eol : p + strlen(p);
    const char *q = strstr(p + 8, "\", line ");
    if (!q || q > end)
        return false;
    snprintf(file, file_size, "%.*s", (int)(q - (p + 8)), p + 8);
    const char *in = strstr(q, " in ");
    snprintf(function, function_size, "%.*s", in && in < end ? (int)(end - in - 4) : 1, in && in < end ? in + 4 : "?");
    return true;
}

void cw_python_stacks_free(cw_python_stacks *py)
{
    free(py->text);
    py->text = NULL;
}

/* ---- interned stacks of the current thread ------------------------------ */

#define MAX_PY_STACKS 4096
#define PY_ARENA (1u << 20)

static char *py_texts[MAX_PY_STACKS];
static unsigned n_py;
static char *arena;
static size_t arena_left;
static cw_spin_lock py_lock;

bool cw_python_present(void)
{
    return dlsym(RTLD_DEFAULT, "_Py_DumpTraceback") && dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState");
}

/* Keeps only the frame lines: they are what identifies the stack. */
static size_t frame_lines(const char *text, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = text; p && p < text + len;) {
        const char *eol = memchr(p, '\n', (size_t)(text + len - p));
        size_t l = eol ? (size_t)(eol - p) + 1 : (size_t)(text + len - p);
        if (strncmp(p, "  File \"", 8) == 0 && n + l < cap) {
            memcpy(out + n, p, l);
            n += l;
        }
        p = eol ? eol + 1 : NULL;
    }
    out[n] = '\0';
    return n;
}

static cw_stack_id intern(const char *lines, size_t len)
{
    cw_spin_lock_acquire(&py_lock);
    cw_stack_id id = 0;
    for (unsigned i = 0; i < n_py; i++)
        if (strcmp(py_texts[i], lines) == 0) {
            id = (i + 1) | CW_PYTHON_STACK_BIT;
            goto out;
        }
    if (n_py == MAX_PY_STACKS)
        goto out;
    if (len + 1 > arena_left) {
        size_t size = len + 1 > PY_ARENA ? len + 1 : PY_ARENA;
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            goto out;
        arena = p;
        arena_left = size;
    }
    memcpy(arena, lines, len + 1);
    py_texts[n_py++] = arena;
    arena += len + 1;
    arena_left -= len + 1;
    id = n_py | CW_PYTHON_STACK_BIT;
out:
    cw_spin_lock_release(&py_lock);
    return id;
}

cw_stack_id cw_python_stack_capture(void)
{
    dump_one_fn dump = (dump_one_fn)dlsym(RTLD_DEFAULT, "_Py_DumpTraceback");
    this_tstate_fn this_tstate = (this_tstate_fn)dlsym(RTLD_DEFAULT, "PyGILState_GetThisThreadState");
    if (!dump || !this_tstate)
        return 0;
    void *tstate = this_tstate();
    if (!tstate)
        return 0;
    int fd = memfd_create("concwatch-python-stack", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    dump(fd, tstate);
    char text[8192], lines[8192];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    close(fd);
    if (n <= 0)
        return 0;
    size_t len = frame_lines(text, (size_t)n, lines, sizeof lines);
    return len ? intern(lines, len) : 0;
}

void cw_python_stack_record(cw_record *r, cw_stack_id id)
{
    unsigned i = (id & ~CW_PYTHON_STACK_BIT) - 1;
    if (!(id & CW_PYTHON_STACK_BIT) || i >= n_py)
        return;
    record_frame_lines(r, py_texts[i]);
}

/* ---- acquire sites ------------------------------------------------------ */

static int (*gil_check)(void);
static int (*is_initialized)(void);
static void *(*current_tstate)(void);
static void *(*get_frame)(void);
static void *(*frame_code)(void *);
static int (*frame_lasti)(void *);
static void (*dec_ref)(void *);
static void *(*code_bytes)(void *);
static char *(*bytes_data)(void *);
static ssize_t (*bytes_size)(void *);
static void *(*get_attr)(void *, const char *);
static void *(*tuple_item)(void *, ssize_t);
static int (*is_true)(void *);
static void (*err_clear)(void);
static const char *(*unicode_utf8)(void *);
static bool bytecode_is_311;

bool cw_python_init(void)
{
    *(void **)&gil_check = dlsym(RTLD_DEFAULT, "PyGILState_Check");
    *(void **)&is_initialized = dlsym(RTLD_DEFAULT, "Py_IsInitialized");
    *(void **)&current_tstate = dlsym(RTLD_DEFAULT, "_PyThreadState_UncheckedGet");
    *(void **)&get_frame = dlsym(RTLD_DEFAULT, "PyEval_GetFrame");
    *(void **)&frame_code = dlsym(RTLD_DEFAULT, "PyFrame_GetCode");
    *(void **)&frame_lasti = dlsym(RTLD_DEFAULT, "PyFrame_GetLasti");
    *(void **)&dec_ref = dlsym(RTLD_DEFAULT, "Py_DecRef");
    if (!gil_check || !is_initialized || !current_tstate || !get_frame || !frame_code || !frame_lasti ||
        !dec_ref) {
        gil_check = NULL;
        return false;
    }
    *(void **)&code_bytes = dlsym(RTLD_DEFAULT, "PyCode_GetCode");
    *(void **)&bytes_data = dlsym(RTLD_DEFAULT, "PyBytes_AsString");
    *(void **)&bytes_size = dlsym(RTLD_DEFAULT, "PyBytes_Size");
    *(void **)&get_attr = dlsym(RTLD_DEFAULT, "PyObject_GetAttrString");
    *(void **)&tuple_item = dlsym(RTLD_DEFAULT, "PyTuple_GetItem");
    *(void **)&is_true = dlsym(RTLD_DEFAULT, "PyObject_IsTrue");
    *(void **)&err_clear = dlsym(RTLD_DEFAULT, "PyErr_Clear");
    *(void **)&unicode_utf8 = dlsym(RTLD_DEFAULT, "PyUnicode_AsUTF8");
    const unsigned *version = dlsym(RTLD_DEFAULT, "Py_Version");
    /* The opcode numbers below are CPython 3.11's. */
    bytecode_is_311 = version && (*version >> 16) == 0x030B && code_bytes && bytes_data && bytes_size &&
                      get_attr && tuple_item && is_true && err_clear;
    return true;
}

/* CPython 3.11 opcodes used to read a call site. */
enum { OP_CACHE = 0, OP_LOAD_CONST = 100, OP_PRECALL = 166, OP_CALL = 171, OP_KW_NAMES = 172 };

/* co_consts[index] is falsy (False, 0, 0.0, None...)?  -1 if unknown. */
static int const_is_false(void *code, int index)
{
    void *consts = get_attr(code, "co_consts");
    if (!consts) {
        err_clear();
        return -1;
    }
    void *value = tuple_item(consts, index);
    int truth = value ? is_true(value) : -1;
    if (truth < 0)
        err_clear();
    dec_ref(consts);
    return truth < 0 ? -1 : !truth;
}

/* Reads the call the frame is making at `lasti` (bytes): is it
 * lock.acquire(<false constant>) or lock.acquire(blocking=<false>/timeout=0)?
 * Anything not spelled with constants counts as blocking. */
static bool call_is_nonblocking(void *code, int lasti)
{
    if (!bytecode_is_311)
        return false;
    void *bytes = code_bytes(code);
    if (!bytes) {
        err_clear();
        return false;
    }
    const unsigned char *op = (const unsigned char *)bytes_data(bytes);
    ssize_t n = bytes_size(bytes);
    bool nonblocking = false;
    if (op && lasti >= 2 && lasti + 1 < n && op[lasti] == OP_CALL && op[lasti + 1] == 1) {
        int j = lasti - 2;
        while (j >= 0 && op[j] == OP_CACHE)
            j -= 2;
        if (j >= 2 && op[j] == OP_PRECALL) {
            j -= 2;
            bool keyword = false;
            if (op[j] == OP_KW_NAMES) {
                keyword = true;   /* blocking=... or timeout=...: a false value means no wait either way */
                j -= 2;
            }
            (void)keyword;
            if (j >= 0 && op[j] == OP_LOAD_CONST)
                nonblocking = const_is_false(code, op[j + 1]) == 1;
        }
    }
    dec_ref(bytes);
    return nonblocking;
}

/* The code object's attribute `attr` (a str) is `want`, or ends with it. */
static bool code_str_is(void *code, const char *attr, const char *want, bool suffix)
{
    if (!get_attr || !unicode_utf8 || !err_clear)
        return false;
    void *value = get_attr(code, attr);
    if (!value) {
        err_clear();
        return false;
    }
    const char *text = unicode_utf8(value);
    bool yes = false;
    if (!text) {
        err_clear();
    } else {
        size_t n = strlen(text), w = strlen(want);
        yes = suffix ? n >= w && strcmp(text + n - w, want) == 0 : strcmp(text, want) == 0;
    }
    dec_ref(value);
    return yes;
}

/* threading.Thread._set_tstate_lock: the lock every Python thread (the main
 * one too) holds from its start to its end, so that join() can wait on it.
 * Held around everything the thread does, it is no gate: another thread
 * running the same code holds its own. */
static bool code_sets_tstate_lock(void *code)
{
    return code_str_is(code, "co_name", "_set_tstate_lock", false) &&
           code_str_is(code, "co_filename", "threading.py", true);
}

cw_stack_id cw_python_site_stack(cw_thread *t, bool *nonblocking, bool *thread_lifetime)
{
    *nonblocking = false;
    if (thread_lifetime)
        *thread_lifetime = false;
    /* Locks are made and taken while the interpreter starts and ends too,
     * when there is no thread state to read frames from. */
    if (!gil_check || !is_initialized() || !current_tstate() || !gil_check())
        return 0;
    void *frame = get_frame();
    if (!frame)
        return 0;
    void *code = frame_code(frame);
    int lasti = frame_lasti(frame);
    uintptr_t key = (uintptr_t)code;
    cw_py_site *s = &t->py_sites[((key >> 4) ^ (unsigned)lasti * 0x9e37u) & (CW_PY_SITE_CACHE - 1)];
    if (s->code != key || s->lasti != lasti || !s->stack) {
        s->code = key;
        s->lasti = lasti;
        s->stack = cw_python_stack_capture();
        s->nonblocking = call_is_nonblocking(code, lasti);
        s->thread_lifetime = code_sets_tstate_lock(code);
    }
    dec_ref(code);   /* only its address is kept, as a cache key */
    *nonblocking = s->nonblocking;
    if (thread_lifetime)
        *thread_lifetime = s->thread_lifetime;
    return s->stack;
}

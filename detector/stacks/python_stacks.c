#define _GNU_SOURCE
#include "python_stacks.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/shim_health.h"
#include "common/spin_lock.h"
#include "python/py_runtime.h"

typedef const char *(*dump_fn)(int fd, void *interp, void *current_tstate);

/* A growing text buffer (malloc: the hang watcher's thread, never a lock path). */
typedef struct text_buf {
    char *text;
    size_t len, cap;
    bool failed;
} text_buf;

static void put(text_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16384;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->text, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->text = p;
        b->cap = cap;
    }
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = '\0';
}

/* One frame as faulthandler writes it. */
static size_t format_frame(const cw_py_frame_text *f, char *line, size_t size)
{
    int n = snprintf(line, size, "  File \"%s\", line %d in %s\n", f->file, f->line, f->function);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

static void dump_thread(unsigned long thread, const cw_py_frame_ref *frames, int n, void *arg)
{
    text_buf *b = arg;
    char line[800];
    put(b, line, (size_t)snprintf(line, sizeof line, "Thread 0x%016lx (most recent call first):\n", thread));
    for (int i = 0; i < n; i++) {
        cw_py_frame_text f;
        cw_py_frame_describe(&frames[i], false, &f);
        put(b, line, format_frame(&f, line, sizeof line));
    }
    put(b, "\n", 1);
}

/* CPython's own writer, where the binding cannot read the threads (3.11 and 3.12 export it). */
static bool dump_with_faulthandler(cw_python_stacks *out)
{
    dump_fn dump = (dump_fn)dlsym(RTLD_DEFAULT, "_Py_DumpTracebackThreads");
    void *(*main_interp)(void) = (void *(*)(void))dlsym(RTLD_DEFAULT, "PyInterpreterState_Main");
    void *interp = dump && main_interp ? main_interp() : NULL;
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

bool cw_python_stacks_dump(cw_python_stacks *out)
{
    out->text = NULL;
    out->len = 0;
    if (!cw_py.version)
        return false;
    text_buf b = { 0 };
    if (cw_py_each_thread(dump_thread, &b)) {
        if (!b.failed && b.text) {
            out->text = b.text;
            out->len = b.len;
            return true;
        }
        free(b.text);
        return false;
    }
    return dump_with_faulthandler(out);
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

const char *cw_python_stacks_of(const cw_python_stacks *py, pthread_t thread)
{
    const char *p = find_thread(py, thread);
    return p && strncmp(p, "  File \"", 8) == 0 ? p : NULL;
}

bool cw_python_frame_next(const char **cursor, cw_python_frame *f)
{
    const char *p = *cursor;
    if (!p || strncmp(p, "  File \"", 8) != 0)
        return false;
    const char *eol = strchr(p, '\n');
    const char *end = eol ? eol : p + strlen(p);
    *cursor = eol ? eol + 1 : NULL;
    const char *file = p + 8;
    const char *q = strstr(file, "\", line ");
    if (!q || q > end) {
        snprintf(f->file, sizeof f->file, "?");
        f->line = 0;
        snprintf(f->function, sizeof f->function, "?");
        return true;
    }
    snprintf(f->file, sizeof f->file, "%.*s", (int)(q - file), file);
    f->line = atoi(q + 8);
    const char *in = strstr(q + 8, " in ");
    if (in && in < end)
        snprintf(f->function, sizeof f->function, "%.*s", (int)(end - in - 4), in + 4);
    else
        snprintf(f->function, sizeof f->function, "?");
    return true;
}

void cw_python_stacks_free(cw_python_stacks *py)
{
    free(py->text);
    py->text = NULL;
}

/* ---- interned stacks of the current thread ------------------------------ */

#define MAX_PY_STACKS 16384
#define PY_INDEX (2 * MAX_PY_STACKS)   /* open addressing, at most half full */
#define PY_ARENA (1u << 20)

static char *py_texts[MAX_PY_STACKS];
static uint32_t py_index[PY_INDEX];     /* 1 + position in py_texts, 0 = empty */
static _Atomic unsigned n_py;
static char *arena;
static size_t arena_left;
static cw_spin_lock py_lock;

static uint64_t text_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;   /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

static cw_stack_id intern(const char *lines, size_t len)
{
    uint64_t h = text_hash(lines, len);
    cw_spin_lock_acquire(&py_lock);
    cw_stack_id id = 0;
    size_t slot = h & (PY_INDEX - 1);
    for (; py_index[slot]; slot = (slot + 1) & (PY_INDEX - 1))
        if (strcmp(py_texts[py_index[slot] - 1], lines) == 0) {
            id = py_index[slot] | CW_PYTHON_STACK_BIT;
            goto out;
        }
    unsigned n = atomic_load_explicit(&n_py, memory_order_relaxed);
    if (n == MAX_PY_STACKS)
        goto out;
    if (len + 1 > arena_left) {
        size_t size = len + 1 > PY_ARENA ? len + 1 : PY_ARENA;
        void *p = cw_shim_mmap(size, 0, "a Python stack");
        if (!p)
            p = MAP_FAILED;
        if (p == MAP_FAILED)
            goto out;
        arena = p;
        arena_left = size;
    }
    memcpy(arena, lines, len + 1);
    py_texts[n] = arena;
    arena += len + 1;
    arena_left -= len + 1;
    py_index[slot] = n + 1;
    atomic_store_explicit(&n_py, n + 1, memory_order_release);   /* py_texts[n] is visible before the id */
    id = (n + 1) | CW_PYTHON_STACK_BIT;
out:
    cw_spin_lock_release(&py_lock);
    return id;
}

cw_stack_id cw_python_stack_of_frames(const cw_py_frame_ref *frames, int n)
{
    char lines[8192], line[800];
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        cw_py_frame_text f;
        cw_py_frame_describe(&frames[i], true, &f);
        size_t k = format_frame(&f, line, sizeof line);
        if (len + k + 1 > sizeof lines)
            break;   /* the outermost frames are left out */
        memcpy(lines + len, line, k);
        len += k;
    }
    lines[len] = '\0';
    return len ? intern(lines, len) : 0;
}

cw_stack_id cw_python_stack_capture(void)
{
    if (!cw_py_holds_gil())
        return 0;
    cw_py_frame_ref frames[CW_PY_MAX_FRAMES];
    int n = cw_py_current_frames(frames, CW_PY_MAX_FRAMES);
    return cw_python_stack_of_frames(frames, n);
}

const char *cw_python_stack_text(cw_stack_id id)
{
    unsigned i = (id & ~CW_PYTHON_STACK_BIT) - 1;
    if (!(id & CW_PYTHON_STACK_BIT) || i >= atomic_load_explicit(&n_py, memory_order_acquire))
        return NULL;
    return py_texts[i];
}

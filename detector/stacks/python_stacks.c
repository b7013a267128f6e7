#define _GNU_SOURCE
#include "python_stacks.h"

#include <dlfcn.h>
#include <stdio.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/spin_lock.h"

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

#define MAX_PY_STACKS 4096
#define PY_ARENA (1u << 20)

static char *py_texts[MAX_PY_STACKS];
static unsigned n_py;
static char *arena;
static size_t arena_left;
static cw_spin_lock py_lock;

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

const char *cw_python_stack_text(cw_stack_id id)
{
    unsigned i = (id & ~CW_PYTHON_STACK_BIT) - 1;
    if (!(id & CW_PYTHON_STACK_BIT) || i >= n_py)
        return NULL;
    return py_texts[i];
}

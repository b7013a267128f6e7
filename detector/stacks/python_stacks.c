#define _GNU_SOURCE
#include "python_stacks.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef const char *(*dump_fn)(int fd, void *interp, void *current_tstate);
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

/* The block of `thread` in the dump: its header line and frame lines. */
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

void cw_python_stacks_record(const cw_python_stacks *py, pthread_t thread, cw_record *r,
                             const char *thread_label, const char *role)
{
    const char *p = find_thread(py, thread);
    bool started = false;
    while (p && strncmp(p, "  File \"", 8) == 0) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[1024];
        if (len >= sizeof line)
            len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        /*   File "app.py", line 12 in worker */
        char *file = line + 8;
        char *q = strstr(file, "\", line ");
        if (q) {
            *q = '\0';
            int lineno = atoi(q + 8);
            char *in = strstr(q + 8, " in ");
            if (!started) {
                cw_record_stack_pcs(r, thread_label, NULL, 0, 0, role);
                started = true;
            }
            cw_record_pyframe(r, file, lineno, in ? in + 4 : "?");
        }
        p = eol ? eol + 1 : NULL;
    }
}

void cw_python_stacks_free(cw_python_stacks *py)
{
    free(py->text);
    py->text = NULL;
}

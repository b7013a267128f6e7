#define _GNU_SOURCE
#include "record_writer.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/code_map.h"
#include "common/record_format.h"
#include "common/shim_flags.h"
#include "common/shim_health.h"
#include "stacks/python_stacks.h"

#define RECORD_CAP (1u << 20)

static char exe_path[PATH_MAX];

void cw_record_writer_init(void)
{
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
    exe_path[n > 0 ? n : 0] = '\0';
}

/* The findings file of this process, opened for each finding and closed
 * after it: a descriptor kept open could be closed by the program (daemons
 * close every fd at start) and its number reused for one of the program's
 * own files, which the next finding would then be written into.  Findings
 * are rare; the open is no cost.  stderr when there is no report directory. */
static int open_file(const char *prefix)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s%d", cw_flags.report_dir, prefix, (int)getpid());
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

static int open_output(void)
{
    if (!cw_flags.report_dir[0])
        return 2;
    int fd = open_file(CW_FINDINGS_PREFIX);
    return fd >= 0 ? fd : 2;
}

static void put_raw(cw_record *r, const char *s, size_t n)
{
    if (!r->buf || r->len + n + 8 > r->cap)
        return;
    memcpy(r->buf + r->len, s, n);
    r->len += n;
}

/* A text field: TAB and newline would break the line format. */
static void put_field(cw_record *r, const char *s)
{
    put_raw(r, "\t", 1);
    for (; s && *s; s++) {
        char c = (*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s;
        put_raw(r, &c, 1);
    }
}

static void put_vformat_field(cw_record *r, const char *fmt, va_list ap)
{
    char text[1024];
    vsnprintf(text, sizeof text, fmt, ap);
    put_field(r, text);
}

int cw_record_begin(cw_record *r, const char *kind, const char *fmt, ...)
{
    r->saved_errno = errno;
    /* Off after an internal error: no more findings from this process. */
    r->buf = cw_shim_is_off() ? NULL : cw_shim_mmap(RECORD_CAP, 0, "a finding's record");
    r->len = 0;
    r->cap = RECORD_CAP;
    if (!r->buf) {
        errno = r->saved_errno;
        return -1;
    }
    put_raw(r, "finding", 7);
    put_field(r, kind);
    va_list ap;
    va_start(ap, fmt);
    put_vformat_field(r, fmt, ap);
    va_end(ap);
    put_raw(r, "\n", 1);
    return 0;
}

static void put_frame(cw_record *r, uintptr_t pc, int exact)
{
    Dl_info info;
    struct link_map *map = NULL;
    const char *module = "?";
    uintptr_t vaddr = pc;
    if (dladdr1((void *)pc, &info, (void **)&map, RTLD_DL_LINKMAP) && map) {
        module = (map->l_name && map->l_name[0]) ? map->l_name : exe_path;
        vaddr = pc - map->l_addr;
    }
    char line[64];
    put_raw(r, "frame", 5);
    put_field(r, module);
    int n = snprintf(line, sizeof line, "\t0x%lx\t%c\n", (unsigned long)vaddr, exact ? 'i' : 'r');
    put_raw(r, line, (size_t)n);
}

/* The tool's own frames (interceptors, thread wrapper, and the unwinder when
 * a signal interrupted a capture) mean nothing to the user. */
static int in_shim(uintptr_t pc)
{
    const cw_code_range *r = cw_code_map_find_or_rescan(pc);
    return r && r->owner == CW_CODE_TOOL;
}

static void put_frames(cw_record *r, const uintptr_t *pcs, size_t n, int first_is_exact)
{
    for (size_t i = 0; i < n; i++)
        if (!in_shim(pcs[i]))
            put_frame(r, pcs[i], i == 0 && first_is_exact);
}

/* Where a lock lives: its address, and when it lies in a loaded object's
 * image (a global or static variable) that object and the address inside its
 * ELF image, which the launcher looks up in the debug information. */
static void put_lock_address(cw_record *r, uintptr_t addr)
{
    char line[64];
    put_raw(r, "lockaddr", 8);
    int n = snprintf(line, sizeof line, "\t0x%lx", (unsigned long)addr);
    put_raw(r, line, (size_t)n);
    Dl_info info;
    struct link_map *map = NULL;
    if (dladdr1((void *)addr, &info, (void **)&map, RTLD_DL_LINKMAP) && map) {
        put_field(r, (map->l_name && map->l_name[0]) ? map->l_name : exe_path);
        n = snprintf(line, sizeof line, "\t0x%lx", (unsigned long)(addr - map->l_addr));
        put_raw(r, line, (size_t)n);
    }
    put_raw(r, "\n", 1);
}

void cw_record_lock(cw_record *r, const char *id, const char *type, const char *how, cw_stack_id stack,
                    uintptr_t addr)
{
    put_raw(r, "lock", 4);
    put_field(r, id);
    put_field(r, type);
    put_field(r, how);
    put_raw(r, "\n", 1);
    if (addr)
        put_lock_address(r, addr);
    if (stack & CW_PYTHON_STACK_BIT) {
        cw_record_python_frames(r, cw_python_stack_text(stack));
        return;
    }
    size_t n;
    const uintptr_t *pcs = cw_stack_depot_get(stack, &n);
    put_frames(r, pcs, n, 0);
}

void cw_record_stack_pcs(cw_record *r, const char *thread, const uintptr_t *pcs, size_t n,
                         int first_is_exact, const char *role)
{
    put_raw(r, "stack", 5);
    put_field(r, thread);
    put_field(r, role);
    put_raw(r, "\n", 1);
    put_frames(r, pcs, n, first_is_exact);
}

void cw_record_stack(cw_record *r, const char *thread, cw_stack_id stack, const char *fmt, ...)
{
    char role[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(role, sizeof role, fmt, ap);
    va_end(ap);
    if (stack & CW_PYTHON_STACK_BIT) {
        cw_record_stack_pcs(r, thread, NULL, 0, 0, role);
        cw_record_python_frames(r, cw_python_stack_text(stack));
        return;
    }
    size_t n;
    const uintptr_t *pcs = cw_stack_depot_get(stack, &n);
    cw_record_stack_pcs(r, thread, pcs, n, 0, role);
}

void cw_record_pyframe(cw_record *r, const char *file, int line, const char *function)
{
    char num[24];
    put_raw(r, "pyframe", 7);
    put_field(r, file);
    snprintf(num, sizeof num, "%d", line);
    put_field(r, num);
    put_field(r, function);
    put_raw(r, "\n", 1);
}

void cw_record_python_frames(cw_record *r, const char *frames)
{
    cw_python_frame f;
    while (cw_python_frame_next(&frames, &f))
        cw_record_pyframe(r, f.file, f.line, f.function);
}

void cw_record_raw(cw_record *r, const char *lines, size_t len)
{
    put_raw(r, lines, len);
}

void cw_record_note(cw_record *r, const char *fmt, ...)
{
    put_raw(r, "note", 4);
    va_list ap;
    va_start(ap, fmt);
    put_vformat_field(r, fmt, ap);
    va_end(ap);
    put_raw(r, "\n", 1);
}

void cw_record_thread_id(const char *label, int tid)
{
    if (!cw_flags.report_dir[0])
        return;
    int saved = errno;
    char path[PATH_MAX + 64], line[64];
    snprintf(path, sizeof path, "%s/%s%d", cw_flags.report_dir, CW_THREAD_IDS_PREFIX, (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
        int n = snprintf(line, sizeof line, "thread\t%s\t%d\n", label, tid);
        ssize_t unused = write(fd, line, (size_t)n);   /* one write: lines of threads never mix */
        (void)unused;
        close(fd);
    }
    errno = saved;
}

static void record_end_fd(cw_record *r, int fd);

void cw_record_end(cw_record *r)
{
    if (!r->buf)
        return;
    record_end_fd(r, open_output());
}

void cw_record_end_to(cw_record *r, const char *prefix)
{
    if (!r->buf)
        return;
    int fd = cw_flags.report_dir[0] ? open_file(prefix) : -1;
    if (fd < 0) {
        munmap(r->buf, r->cap);
        r->buf = NULL;
        errno = r->saved_errno;
        return;
    }
    record_end_fd(r, fd);
}

static void record_end_fd(cw_record *r, int fd)
{
    put_raw(r, "end\n", 4);
    const char *p = r->buf;
    size_t left = r->len;
    while (left > 0) {
        ssize_t w = cw_test_fault(CW_FAULT_WRITE) ? (errno = ENOSPC, -1) : write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            /* A full disk, a quota: the findings are lost from here on. */
            if (w == 0)
                errno = EIO;
            cw_shim_off("cannot write findings %s%s: %s", fd == 2 ? "to stderr" : "to ",
                        fd == 2 ? "" : cw_flags.report_dir, strerror(errno));
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fd != 2)
        close(fd);
    munmap(r->buf, r->cap);
    r->buf = NULL;
    errno = r->saved_errno;
}

void cw_record_run_line(const char *tag, const char *a, const char *b)
{
    if (!cw_flags.report_dir[0])
        return;   /* on stderr it would only be noise among the program's output */
    int saved = errno;
    char line[1024];
    cw_record r = { .buf = line, .len = 0, .cap = sizeof line };
    put_raw(&r, tag, strlen(tag));
    put_field(&r, a);
    put_field(&r, b);
    put_raw(&r, "\n", 1);
    int fd = open_output();
    if (write(fd, line, r.len) < 0) {
        /* nothing to do: the report will lack the line */
    }
    if (fd != 2)
        close(fd);
    errno = saved;
}

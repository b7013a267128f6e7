#define _GNU_SOURCE
#include "shim_health.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "shim_flags.h"

atomic_int cw_shim_ready;

static atomic_int off;
static cw_health_page private_page;              /* until (or without) the shared one */
static cw_health_page *page = &private_page;

/* ---- fault injection ---------------------------------------------------- */

static cw_fault fault;
static long fault_count;          /* mmap:N */
static atomic_long mmap_calls;

static void parse_fault(void)
{
    const char *f = cw_flags.test_fault;
    if (!f[0])
        return;
    if (strncmp(f, "mmap:", 5) == 0) {
        fault = CW_FAULT_MMAP;
        fault_count = strtol(f + 5, NULL, 10);
    } else if (strcmp(f, "write") == 0) {
        fault = CW_FAULT_WRITE;
    } else if (strcmp(f, "crash") == 0) {
        fault = CW_FAULT_CRASH;
    } else if (strcmp(f, "spin") == 0) {
        fault = CW_FAULT_SPIN;
    } else if (strcmp(f, "helper-crash") == 0) {
        fault = CW_FAULT_HELPER_CRASH;
    } else if (strcmp(f, "watcher-stuck") == 0) {
        fault = CW_FAULT_WATCHER_STUCK;
    } else if (strcmp(f, "graph-oom") == 0) {
        fault = CW_FAULT_GRAPH_OOM;
    } else if (strcmp(f, "sw-spin") == 0) {
        fault = CW_FAULT_SW_SPIN;
    } else if (strcmp(f, "sw-slow-prot") == 0) {
        fault = CW_FAULT_SW_SLOW_PROT;
    }
}

bool cw_test_fault(cw_fault f)
{
    if (__builtin_expect(fault != f, 1))
        return false;
    if (f == CW_FAULT_MMAP)
        return atomic_fetch_add(&mmap_calls, 1) + 1 == fault_count;
    return true;
}

__attribute__((noinline)) void cw_test_crash_here(void)
{
    volatile uintptr_t bad = 0x10;
    *(volatile int *)bad = 1;
}

/* ---- status records ------------------------------------------------------ */

static bool status_path(char *path, size_t len, const char *prefix)
{
    if (!cw_flags.report_dir[0])
        return false;
    return (size_t)snprintf(path, len, "%s/%s%d", cw_flags.report_dir, prefix, (int)getpid()) < len;
}

bool cw_status_append(const char *text, size_t len)
{
    char path[PATH_MAX + 64];
    if (!status_path(path, sizeof path, CW_STATUS_PREFIX))
        return false;
    int saved = errno;
    /* Opened for each record, like the findings file (a daemon may close
     * every descriptor; records are rare). */
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, text, len) == (ssize_t)len;
    if (fd >= 0)
        close(fd);
    errno = saved;
    return ok;
}

/* TAB and newline separate fields and records: never inside a field. */
static size_t put_field(char *out, size_t at, size_t cap, const char *s, size_t n)
{
    for (size_t i = 0; i < n && at + 2 < cap; i++)
        out[at++] = (s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\0') ? ' ' : s[i];
    return at;
}

/* "process <pid> <ppid> <command line>", the arguments joined by spaces. */
static void write_process_record(void)
{
    char cmd[4096];
    ssize_t n = -1;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, cmd, sizeof cmd - 1);
        close(fd);
    }
    if (n < 0)
        n = 0;
    while (n > 0 && cmd[n - 1] == '\0')
        n--;
    char line[4200];
    size_t at = (size_t)snprintf(line, sizeof line, "process\t%d\t%d\t", (int)getpid(), (int)getppid());
    at = put_field(line, at, sizeof line, cmd, (size_t)n);
    line[at++] = '\n';
    cw_status_append(line, at);
}

/* ---- the health page ------------------------------------------------------ */

static void map_health_page(void)
{
    char path[PATH_MAX + 64];
    page = &private_page;
    if (!status_path(path, sizeof path, CW_HEALTH_PREFIX))
        return;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    void *p = MAP_FAILED;
    if (ftruncate(fd, (off_t)sizeof(cw_health_page)) == 0)
        p = mmap(NULL, sizeof(cw_health_page), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return;
    page = p;
    page->version = 1;
    atomic_store(&page->off, atomic_load(&off));
    __atomic_store_n(&page->magic, CW_HEALTH_MAGIC, __ATOMIC_RELEASE);
}

void cw_shim_health_init(void)
{
    parse_fault();
    map_health_page();
    write_process_record();
}

void cw_shim_health_after_fork_child(void)
{
    /* The parent's page came along, shared: the child gets its own. */
    if (page != &private_page)
        munmap(page, sizeof *page);
    private_page = (cw_health_page){ 0 };
    map_health_page();
    write_process_record();
}

void cw_health_beat(uint64_t now_ns, int tid)
{
    atomic_store_explicit(&page->watcher_tid, tid, memory_order_relaxed);
    atomic_store_explicit(&page->beat_ns, now_ns, memory_order_relaxed);
}

void cw_spin_lock_waited(const void *lock, uint64_t since_ns, bool done)
{
    cw_spin_lock_waited_at(lock, since_ns, done ? 0 : cw_now_ns(), done);
}

void cw_spin_lock_waited_at(const void *lock, uint64_t since_ns, uint64_t now_ns, bool done)
{
    uint64_t mine = since_ns;
    if (done) {
        /* Ours to clear only if it is still our wait on the page. */
        atomic_compare_exchange_strong(&page->stuck_since_ns, &mine, 0);
        return;
    }
    uint64_t none = 0;
    if (now_ns - since_ns >= CW_SEC &&
        atomic_compare_exchange_strong(&page->stuck_since_ns, &none, since_ns))
        atomic_store(&page->stuck_lock, (uint64_t)(uintptr_t)lock);
}

/* ---- the off switch ------------------------------------------------------- */

void (*cw_shim_off_hook)(void);

bool cw_shim_is_off(void) { return atomic_load_explicit(&off, memory_order_relaxed) != 0; }

void cw_shim_off(const char *fmt, ...)
{
    if (atomic_exchange(&off, 1))
        return;
    atomic_store(&cw_shim_ready, 0);
    if (cw_shim_off_hook)
        cw_shim_off_hook();
    atomic_store(&page->off, 1);
    atomic_store(&page->beat_ns, 0);
    int saved = errno;
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    char line[1024];
    int n = snprintf(line, sizeof line,
                     "concwatch: internal error in process %d: %s; concwatch is off for this process, "
                     "which runs on unwatched\n", (int)getpid(), why);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    ssize_t unused = write(2, line, (size_t)n);
    (void)unused;
    char rec[600];
    size_t at = (size_t)snprintf(rec, sizeof rec, "off\t");
    at = put_field(rec, at, sizeof rec, why, strlen(why));
    rec[at++] = '\n';
    cw_status_append(rec, at);
    errno = saved;
}

void *cw_shim_mmap(size_t len, int extra_flags, const char *what)
{
    void *p = MAP_FAILED;
    if (cw_test_fault(CW_FAULT_MMAP))
        errno = ENOMEM;
    else
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
    if (p != MAP_FAILED)
        return p;
    cw_shim_off("out of memory: %s (mmap of %zu bytes failed: %s)", what, len, strerror(errno));
    return NULL;
}

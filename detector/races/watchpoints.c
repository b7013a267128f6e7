#define _GNU_SOURCE
#include "watchpoints.h"

#include <errno.h>
#include <stdatomic.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef TRAP_PERF
#define TRAP_PERF 6
#endif
#define TRAP_PERF_FLAG_ASYNC_BIT 1u

/* CONCWATCH_HWBP_SIMULATE_SILENT: every breakpoint watches this word, which
 * nothing writes: the kernel grants everything and nothing ever fires, as on
 * hosts whose debug registers are silent. */
static _Alignas(64) volatile uint64_t decoy[8];
static atomic_bool simulate_silent;

void cw_wp_simulate_silent(bool on) { atomic_store(&simulate_silent, on); }

static void fill_common(struct perf_event_attr *a, uintptr_t addr, unsigned len, cw_wp_type type)
{
    memset(a, 0, sizeof *a);
    if (atomic_load_explicit(&simulate_silent, memory_order_relaxed))
        addr = (uintptr_t)&decoy[1];
    a->type = PERF_TYPE_BREAKPOINT;
    a->size = sizeof *a;
    a->bp_type = type == CW_WP_WRITE ? HW_BREAKPOINT_W : HW_BREAKPOINT_RW;
    a->bp_addr = addr;
    a->bp_len = len;
    a->exclude_kernel = 1;   /* the program's own instructions only, not syscalls copying into it */
    a->exclude_hv = 1;
    a->remove_on_exec = 1;   /* required with sigtrap; exec'd images are not ours anyway */
}

static void fill_attr(struct perf_event_attr *a, uintptr_t addr, unsigned len, cw_wp_type type, uint64_t cookie)
{
    fill_common(a, addr, len, type);
    a->sample_period = 1;
    a->disabled = 1;
    a->sigtrap = 1;
    a->sig_data = cookie;
    a->read_format = PERF_FORMAT_GROUP;
}

int cw_wp_open(pid_t tid, uintptr_t addr, unsigned len, cw_wp_type type, uint64_t cookie)
{
    struct perf_event_attr a;
    fill_attr(&a, addr, len, type, cookie);
    long fd = syscall(SYS_perf_event_open, &a, tid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : (int)fd;
}

int cw_wp_open_probe(uintptr_t addr, bool sigtrap, uint64_t cookie)
{
    struct perf_event_attr a;
    fill_common(&a, addr, 8, CW_WP_WRITE);
    a.disabled = 1;
    if (sigtrap) {
        a.sample_period = 1;
        a.sigtrap = 1;
        a.sig_data = cookie;
    }
    long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    return fd < 0 ? -errno : (int)fd;
}

int cw_wp_retarget(int fd, uintptr_t addr, unsigned len, cw_wp_type type, uint64_t cookie)
{
    struct perf_event_attr a;
    fill_attr(&a, addr, len, type, cookie);
    return ioctl(fd, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, &a) == 0 ? 0 : -errno;
}

int cw_wp_reset(int fd) { return ioctl(fd, PERF_EVENT_IOC_RESET, PERF_IOC_FLAG_GROUP) == 0 ? 0 : -errno; }

int cw_wp_enable(int fd) { return ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) == 0 ? 0 : -errno; }
int cw_wp_disable(int fd) { return ioctl(fd, PERF_EVENT_IOC_DISABLE, 0) == 0 ? 0 : -errno; }

bool cw_wp_counts(int fd, uint64_t *accesses)
{
    uint64_t v[2] = { 0, 0 };   /* PERF_FORMAT_GROUP: nr, then the value */
    if (read(fd, v, sizeof v) < (ssize_t)sizeof v)
        return false;
    *accesses = v[1];
    return true;
}

uint64_t cw_wp_id(int fd)
{
    uint64_t id = 0;
    return ioctl(fd, PERF_EVENT_IOC_ID, &id) == 0 ? id : 0;
}

void cw_wp_close(int fd, uint64_t id)
{
    if (fd < 0 || !id || cw_wp_id(fd) != id)
        return;
    ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
    close(fd);
}

/* The perf fields of the SIGTRAP siginfo (Linux 5.13+); glibc 2.36 does not
 * name them, so they are read at the kernel's layout: after si_addr, a
 * long-sized data word then two 32-bit fields. */
struct perf_sigfault {
    void *addr;
    unsigned long data;
    uint32_t type;
    uint32_t flags;
};

bool cw_wp_decode(const siginfo_t *si, uint64_t *cookie, bool *late)
{
    if (si->si_signo != SIGTRAP || si->si_code != TRAP_PERF)
        return false;
    const struct perf_sigfault *f = (const struct perf_sigfault *)&si->si_addr;
    if (f->type != PERF_TYPE_BREAKPOINT)
        return false;
    *cookie = f->data;
    *late = (f->flags & TRAP_PERF_FLAG_ASYNC_BIT) != 0;
    return true;
}

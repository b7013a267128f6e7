#define _GNU_SOURCE
#include "hwbp_selftest.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/perf_event.h>
#include <unistd.h>

#include "watchpoints.h"

#define PROBE_COOKIE 0xC3A6C0FFEEull

/* Alone in its cache line: nothing else of ours is stored there. */
static _Alignas(64) volatile uint64_t probe_word[8];
static atomic_int probe_signals;

bool cw_hwbp_probe_on_trap(const siginfo_t *si)
{
    uint64_t cookie;
    bool late;
    if (!cw_wp_decode(si, &cookie, &late) || cookie != PROBE_COOKIE)
        return false;
    atomic_fetch_add(&probe_signals, 1);
    return true;
}

cw_hwbp_result cw_hwbp_selftest(bool with_signal, char *why, size_t len)
{
    int fd = cw_wp_open_probe((uintptr_t)&probe_word[0], with_signal, PROBE_COOKIE);
    if (fd < 0) {
        snprintf(why, len, "hardware breakpoints refused (%s)", strerror(-fd));
        return CW_HWBP_REFUSED;
    }
    int signals0 = atomic_load(&probe_signals);
    uint64_t count = 0;
    /* The caller may have every signal blocked (programs do, around
     * pthread_create, so that threads start so): not the probe's. */
    sigset_t trap, old;
    sigemptyset(&trap);
    sigaddset(&trap, SIGTRAP);
    pthread_sigmask(SIG_UNBLOCK, &trap, &old);
    bool ok = ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) == 0;
    probe_word[0] = probe_word[0] + 1;
    ok = ioctl(fd, PERF_EVENT_IOC_DISABLE, 0) == 0 && ok;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    ok = read(fd, &count, sizeof count) == (ssize_t)sizeof count && ok;
    close(fd);
    if (!ok) {
        snprintf(why, len, "hardware breakpoints unusable (%s)", strerror(errno));
        return CW_HWBP_REFUSED;
    }
    if (count == 0) {
        snprintf(why, len, "hardware breakpoints are granted but never fire on this host");
        return CW_HWBP_SILENT;
    }
    if (with_signal && atomic_load(&probe_signals) == signals0) {
        snprintf(why, len, "hardware breakpoints fire but their signal is not delivered");
        return CW_HWBP_NO_SIGNAL;
    }
    why[0] = '\0';
    return CW_HWBP_OK;
}

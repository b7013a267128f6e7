#define _GNU_SOURCE
#include "task_sched.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static ssize_t read_task_file(pid_t tid, const char *name, char *buf, size_t size)
{
    /* "/proc/self/task/<tid>/<name>", without stdio (this runs in handlers). */
    char path[64], digits[16];
    size_t at = 0, nd = 0;
    for (unsigned v = (unsigned)tid; nd == 0 || v; v /= 10)
        digits[nd++] = (char)('0' + v % 10);
    const char *prefix = "/proc/self/task/";
    if (strlen(prefix) + nd + 1 + strlen(name) + 1 > sizeof path)
        return -1;
    memcpy(path, prefix, strlen(prefix));
    at = strlen(prefix);
    while (nd)
        path[at++] = digits[--nd];
    path[at++] = '/';
    memcpy(path + at, name, strlen(name) + 1);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t len = read(fd, buf, size - 1);
    close(fd);
    if (len >= 0)
        buf[len] = '\0';
    return len;
}

bool cw_task_sched(pid_t tid, uint64_t *run, uint64_t *slices)
{
    char buf[128];
    if (read_task_file(tid, "schedstat", buf, sizeof buf) <= 0)
        return false;
    uint64_t v[3] = { 0, 0, 0 };
    const char *p = buf;
    for (int f = 0; f < 3; f++) {
        while (*p == ' ')
            p++;
        while (*p >= '0' && *p <= '9')
            v[f] = v[f] * 10 + (uint64_t)(*p++ - '0');
    }
    *run = v[0];
    *slices = v[2];
    return true;
}

bool cw_task_runnable(pid_t tid)
{
    char buf[64];
    if (read_task_file(tid, "stat", buf, sizeof buf) <= 0)
        return false;
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && paren[2] == 'R';
}

/* A thread asleep but waking every millisecond or so (a poller) will run
 * again within a pause; one asleep for long will not. */
#define WAKE_TABLE 64
static struct {
    _Atomic pid_t tid;
    _Atomic uint32_t period_us;
} wake_table[WAKE_TABLE];

uint32_t cw_task_wake_period_us(pid_t tid)
{
    for (int i = 0; i < WAKE_TABLE; i++)
        if (atomic_load(&wake_table[i].tid) == tid)
            return atomic_load(&wake_table[i].period_us);
    return 0;
}

uint64_t cw_task_measure_wake_periods(const pid_t *tids, int n, uint64_t now)
{
    static struct { pid_t tid; uint64_t slices, at_ns; } prev[WAKE_TABLE], cur[WAKE_TABLE];
    static int nprev;
    int ncur = 0;
    uint64_t switches = 0;
    for (int i = 0; i < n && ncur < WAKE_TABLE; i++) {
        uint64_t run, slices;
        if (!cw_task_sched(tids[i], &run, &slices))
            continue;
        uint32_t period = 0;
        for (int j = 0; j < nprev; j++)
            if (prev[j].tid == tids[i] && slices > prev[j].slices) {
                uint64_t us = (now - prev[j].at_ns) / 1000 / (slices - prev[j].slices);
                period = us ? (us < UINT32_MAX ? (uint32_t)us : UINT32_MAX) : 1;
                switches += slices - prev[j].slices;
            }
        cur[ncur].tid = tids[i];
        cur[ncur].slices = slices;
        cur[ncur].at_ns = now;
        atomic_store(&wake_table[ncur].period_us, period);
        atomic_store(&wake_table[ncur].tid, tids[i]);
        ncur++;
    }
    for (int j = ncur; j < WAKE_TABLE; j++)
        atomic_store(&wake_table[j].tid, 0);
    memcpy(prev, cur, sizeof cur);
    nprev = ncur;
    return switches;
}

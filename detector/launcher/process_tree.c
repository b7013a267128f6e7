/* The run's processes while and after the program runs; see process_tree.h. */
#define _GNU_SOURCE
#include "process_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/shim_health.h"

static unsigned kills;   /* processes the watchdog ended */
static bool hurried;

unsigned cw_watchdog_kills(void) { return kills; }
void cw_watchdog_hurry(void) { hurried = true; }

static double env_seconds(const char *name, double def)
{
    const char *v = getenv(name);
    char *end;
    double d = v && *v ? strtod(v, &end) : def;
    return v && *v && (*end || !(d >= 0 && d <= 1e6)) ? def : d;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The state letter of a process ('R', 'S', 'T', 'Z', ...), 0 if gone. */
static char process_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' ? paren[2] : '?';
}

/* The thread is runnable (or running): waiting for a CPU, not for a lock. */
static bool runnable(pid_t pid, int tid)
{
    char path[96], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, tid);
    int fd = tid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && paren[2] == 'R';
}

/* A running process of this run: alive, and started with our report
 * directory in its environment (a pid reused by an unrelated process has not). */
static bool runs_in_this_run(pid_t pid, const char *report_dir)
{
    char st = process_state(pid);
    if (!st || st == 'Z' || st == 'X')
        return false;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return true;   /* cannot tell: assume ours */
    char want[4200];
    int wn = snprintf(want, sizeof want, "CONCWATCH_REPORT_DIR=%s", report_dir);
    bool found = false;
    static char env[1 << 16];
    ssize_t n = read(fd, env, sizeof env - 1);
    close(fd);
    if (n > 0 && wn > 0 && wn < (int)sizeof want) {
        env[n] = '\0';
        for (char *p = env; p < env + n; p += strlen(p) + 1)
            if (strcmp(p, want) == 0)
                found = true;
    }
    return found || n == (ssize_t)sizeof env - 1;
}

/* The command line a process recorded, for messages (the last one: after
 * an exec the new program records its own). */
static void command_of(const char *report_dir, pid_t pid, char *out, size_t len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s%d", report_dir, CW_STATUS_PREFIX, (int)pid);
    out[0] = '\0';
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char line[4200];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "process\t", 8) == 0) {
            char *cmd = strchr(line + 8, '\t');
            cmd = cmd ? strchr(cmd + 1, '\t') : NULL;
            if (cmd) {
                snprintf(out, len, "%s", cmd + 1);
                out[strcspn(out, "\n")] = '\0';
            }
        }
    fclose(f);
}

typedef void (*pid_fn)(const char *dir, pid_t pid, void *ctx);

static void for_each_pid(const char *dir, const char *prefix, pid_fn fn, void *ctx)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t plen = strlen(prefix);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, plen) == 0) {
            char *end;
            long pid = strtol(e->d_name + plen, &end, 10);
            if (pid > 0 && !*end)
                fn(dir, (pid_t)pid, ctx);
        }
    closedir(d);
}

/* ---- the watchdog ---------------------------------------------------------- */

typedef struct watch_look {
    uint64_t now, limit;
    pid_t stuck;
} watch_look;

static void look_at(const char *dir, pid_t pid, void *ctx)
{
    watch_look *w = ctx;
    if (w->stuck)
        return;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s%d", dir, CW_HEALTH_PREFIX, (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    cw_health_page h;
    ssize_t n = pread(fd, &h, sizeof h, 0);
    close(fd);
    if (n != (ssize_t)sizeof h || h.magic != CW_HEALTH_MAGIC || h.off)
        return;
    char st = process_state(pid);
    /* Stopped (SIGSTOP, a debugger) or gone: nothing to judge. */
    if (!st || st == 'T' || st == 't' || st == 'Z' || st == 'X')
        return;
    uint64_t stuck = h.stuck_since_ns, beat = h.beat_ns;
    const char *what = NULL;
    uint64_t since = 0;
    if (stuck && w->now > stuck && w->now - stuck > w->limit) {
        what = "a thread has waited for one of the shim's own locks";
        since = stuck;
    } else if (beat && w->now > beat && w->now - beat > w->limit && !runnable(pid, h.watcher_tid)) {
        /* (A watcher that is runnable but not running is starved, e.g. by
         * real-time threads of the program, not stuck.) */
        what = "the hang watcher has not looked at the program";
        since = beat;
    }
    if (!what)
        return;
    char cmd[1024];
    command_of(dir, pid, cmd, sizeof cmd);
    char lock[48] = "";
    if (since == stuck && h.stuck_lock)
        snprintf(lock, sizeof lock, " (lock at 0x%llx)", (unsigned long long)h.stuck_lock);
    fprintf(stderr,
            "concwatch: internal error in process %d (%s): deadlock inside concwatch's shim: %s for %.1f s%s; "
            "a bug in concwatch, not in the program: the process is ended\n",
            (int)pid, cmd[0] ? cmd : "?", what, (double)(w->now - since) / 1e9, lock);
    kill(pid, SIGKILL);
    kills++;
    w->stuck = pid;
}

pid_t cw_watchdog_look(const char *report_dir)
{
    double limit = env_seconds("CONCWATCH_SHIM_WATCHDOG", 10);
    if (limit <= 0)
        return 0;
    if (hurried && limit > 1)
        limit = 1;
    watch_look w = { .now = now_ns(), .limit = (uint64_t)(limit * 1e9) };
    for_each_pid(report_dir, CW_HEALTH_PREFIX, look_at, &w);
    return w.stuck;
}

/* ---- the tree after the program -------------------------------------------- */

typedef struct tree {
    pid_t main_pid;
    const char *report_dir;
    size_t running;
    bool print;
    double waited;
} tree;

static void count_running(const char *dir, pid_t pid, void *ctx)
{
    tree *t = ctx;
    if (pid == t->main_pid || !runs_in_this_run(pid, t->report_dir))
        return;
    t->running++;
    if (t->print) {
        char cmd[1024];
        command_of(dir, pid, cmd, sizeof cmd);
        fprintf(stderr,
                "concwatch: process %d (%s) still runs %.1f s after the program ended: what it finds from "
                "now on is not reported (CONCWATCH_TREE_WAIT sets how long to wait)\n",
                (int)pid, cmd[0] ? cmd : "?", t->waited);
    }
}

size_t cw_wait_for_tree(const char *report_dir, pid_t main_pid)
{
    double bound = env_seconds("CONCWATCH_TREE_WAIT", 5);
    uint64_t start = now_ns();
    tree t = { .main_pid = main_pid, .report_dir = report_dir };
    for (;;) {
        t.running = 0;
        for_each_pid(report_dir, CW_STATUS_PREFIX, count_running, &t);
        if (t.running == 0)
            return 0;
        t.waited = (double)(now_ns() - start) / 1e9;
        if (t.waited >= bound)
            break;
        cw_watchdog_look(report_dir);
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep(&ts, NULL);
    }
    t.running = 0;
    t.print = true;
    for_each_pid(report_dir, CW_STATUS_PREFIX, count_running, &t);
    return t.running;
}

#define _GNU_SOURCE
#include "cross_process_hang.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hang_report.h"
#include "common/hash.h"
#include "common/record_format.h"
#include "common/shim_flags.h"
#include "events/lock_events.h"
#include "events/lock_table.h"
#include "events/record_writer.h"
#include "events/shared_locks.h"
#include "stacks/python_stacks.h"

#define TMP_PREFIX "xwaits-tmp."
#define MARKER_PREFIX "xhang."
#define MAX_SIDES 64
#define MAX_THREADS 256            /* blocked threads over all sides */
#define MAX_HOLDS 8
#define FILE_CAP (1u << 20)

static bool published;
static uint64_t published_signature;

bool cw_waits_on_shared_lock(const cw_blocked *b)
{
    if (b->kind != CW_KIND_MUTEX && b->kind != CW_KIND_RWLOCK && b->kind != CW_KIND_SEMAPHORE)
        return false;
    return cw_shared_lock_id(b->addr, (cw_lock_kind)b->kind) != 0;
}

static void side_path(char *buf, size_t size, const char *prefix, long pid)
{
    snprintf(buf, size, "%s/%s%ld", cw_flags.report_dir, prefix, pid);
}

void cw_cross_process_running(void)
{
    if (!published)
        return;
    char path[4200];
    side_path(path, sizeof path, CW_XWAITS_PREFIX, (long)getpid());
    unlink(path);
    published = false;
    published_signature = 0;
}

void cw_cross_process_after_fork_child(void)
{
    published = false;
    published_signature = 0;
}

/* ---- this process's side ------------------------------------------------ */

/* The shared locks the thread holds (semaphore holds end when anyone posts). */
static size_t shared_holds(const cw_thread *t, uint64_t *ids, size_t max)
{
    size_t n = 0;
    uint32_t nheld = t->nheld < CW_MAX_HELD ? t->nheld : CW_MAX_HELD;
    for (uint32_t i = 0; i < nheld && n < max; i++) {
        const cw_held_lock *h = &t->held[i];
        if (h->kind == CW_KIND_SEMAPHORE) {
            cw_lock_slot *slot = cw_lock_table_find(h->addr);
            if (!slot || atomic_load(&slot->sem_epoch) != h->epoch)
                continue;
        }
        uint64_t id = cw_shared_lock_id(h->addr, (cw_lock_kind)h->kind);
        if (id)
            ids[n++] = id;
    }
    return n;
}

static void publish(cw_blocked *all, size_t n)
{
    uint64_t signature = 1;
    for (size_t i = 0; i < n; i++)
        signature = cw_mix64(signature ^ ((uint64_t)all[i].t->tid << 32 | __atomic_load_n(&all[i].t->wait.seq, __ATOMIC_RELAXED)));
    if (published && signature == published_signature)
        return;
    cw_hang_capture_stacks(all, n);
    cw_python_stacks py;
    bool have_py = cw_python_stacks_dump(&py);
    char tmp[4200], path[4200];
    side_path(tmp, sizeof tmp, TMP_PREFIX, (long)getpid());
    side_path(path, sizeof path, CW_XWAITS_PREFIX, (long)getpid());
    unlink(tmp);
    for (size_t i = 0; i < n; i++) {
        const cw_blocked *b = &all[i];
        char label[16], holds[MAX_HOLDS * 17 + 2] = "-";
        cw_thread_label(b->t->index, label, sizeof label);
        uint64_t ids[MAX_HOLDS];
        size_t nholds = shared_holds(b->t, ids, MAX_HOLDS);
        for (size_t k = 0, len = 0; k < nholds; k++)
            len += (size_t)snprintf(holds + len, sizeof holds - len, "%s%016llx", k ? "," : "",
                                    (unsigned long long)ids[k]);
        uint64_t waited = b->kind == CW_KIND_THREAD ? 0 : cw_shared_lock_id(b->addr, (cw_lock_kind)b->kind);
        cw_record r;
        if (cw_record_begin(&r, "x-wait", "%s %d %016llx %s %s", label, (int)b->t->tid,
                            (unsigned long long)waited, cw_lock_kind_name((int)b->kind), holds) != 0)
            continue;
        const char *frames = have_py ? cw_python_stacks_of(&py, b->t->self) : NULL;
        /* No dump (a version whose thread layout is unknown): the Python site
         * its wait on a Python lock started from, as the hang report does. */
        if (!frames && b->kind == CW_KIND_SEMAPHORE && b->t->py_pending_addr == b->addr)
            frames = cw_python_stack_text(b->t->py_pending);
        if (frames) {
            cw_record_stack_pcs(&r, label, NULL, 0, 0, "waits");
            cw_record_python_frames(&r, frames);
        } else {
            const uintptr_t *pcs;
            size_t npcs = cw_hang_user_frames(b, &pcs);
            cw_record_stack_pcs(&r, label, pcs, npcs, 0, "waits");
        }
        cw_record_end_to(&r, TMP_PREFIX);
    }
    if (have_py)
        cw_python_stacks_free(&py);
    if (rename(tmp, path) == 0) {
        published = true;
        published_signature = signature;
    }
}

/* ---- everyone's sides --------------------------------------------------- */

typedef struct side_thread {
    long pid;
    char label[16];
    uint64_t waited;
    char kind[16];
    uint64_t holds[MAX_HOLDS];
    size_t nholds;
    const char *frames;         /* the record's frame / pyframe lines */
    size_t frames_len;
} side_thread;

typedef struct sides {
    long pids[MAX_SIDES];
    size_t npids;
    side_thread threads[MAX_THREADS];
    size_t nthreads;
    char *text;                 /* every file read, one after the other */
    size_t len;
} sides;

/* Alive and not a zombie: a process that died keeps no lock. */
static bool alive(long pid)
{
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return false;
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t got = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[got > 0 ? got : 0] = '\0';
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

static void parse_side(sides *s, long pid, char *text, size_t len)
{
    char *end = text + len;
    for (char *line = text; line < end && s->nthreads < MAX_THREADS;) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl)
            break;
        if (strncmp(line, "finding\tx-wait\t", 15) == 0) {
            side_thread *st = &s->threads[s->nthreads];
            memset(st, 0, sizeof *st);
            st->pid = pid;
            char holds[MAX_HOLDS * 17 + 2] = "";
            unsigned long long waited = 0;
            *nl = '\0';
            int got = sscanf(line + 15, "%15s %*d %llx %15s %170s", st->label, &waited, st->kind, holds);
            *nl = '\n';
            st->waited = waited;
            for (char *h = holds; got == 4 && *h && *h != '-' && st->nholds < MAX_HOLDS;) {
                st->holds[st->nholds++] = strtoull(h, &h, 16);
                if (*h == ',')
                    h++;
                else
                    break;
            }
            /* Frame lines: after the stack line, up to `end`. */
            char *p = nl + 1;
            char *stack_nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
            char *frames = stack_nl ? stack_nl + 1 : end;
            char *stop = frames;
            while (stop < end && strncmp(stop, "end\n", 4) != 0) {
                char *next = memchr(stop, '\n', (size_t)(end - stop));
                stop = next ? next + 1 : end;
            }
            st->frames = frames;
            st->frames_len = (size_t)(stop - frames);
            if (got >= 3)
                s->nthreads++;
            line = stop;
            continue;
        }
        line = nl + 1;
    }
}

static void read_sides(sides *s)
{
    s->text = mmap(NULL, FILE_CAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s->text == MAP_FAILED) {
        s->text = NULL;
        return;
    }
    DIR *d = opendir(cw_flags.report_dir);
    if (!d)
        return;
    struct dirent *e;
    size_t prefix = strlen(CW_XWAITS_PREFIX);
    while ((e = readdir(d)) && s->npids < MAX_SIDES) {
        if (strncmp(e->d_name, CW_XWAITS_PREFIX, prefix) != 0)
            continue;
        char *digits_end;
        long pid = strtol(e->d_name + prefix, &digits_end, 10);
        if (*digits_end || pid <= 0 || !alive(pid))
            continue;
        char path[4200];
        side_path(path, sizeof path, CW_XWAITS_PREFIX, pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        size_t start = s->len;
        ssize_t got;
        while (s->len < FILE_CAP && (got = read(fd, s->text + s->len, FILE_CAP - s->len)) > 0)
            s->len += (size_t)got;
        close(fd);
        s->pids[s->npids++] = pid;
        parse_side(s, pid, s->text + start, s->len - start);
    }
    closedir(d);
}

/* Process p waits for something process q holds. */
static bool waits_for(const sides *s, long p, long q, uint64_t *lock)
{
    for (size_t i = 0; i < s->nthreads; i++) {
        const side_thread *w = &s->threads[i];
        if (w->pid != p || !w->waited)
            continue;
        for (size_t j = 0; j < s->nthreads; j++) {
            const side_thread *h = &s->threads[j];
            if (h->pid != q)
                continue;
            for (size_t k = 0; k < h->nholds; k++)
                if (h->holds[k] == w->waited) {
                    *lock = w->waited;
                    return true;
                }
        }
    }
    return false;
}

/* A cycle of processes through `me`: cycle[0] == me, each waits for the next. */
static size_t find_cycle(const sides *s, long me, long *cycle)
{
    long path[MAX_SIDES];
    size_t next[MAX_SIDES], depth = 1;
    path[0] = me;
    next[0] = 0;
    while (depth > 0) {
        if (next[depth - 1] >= s->npids) {
            depth--;
            continue;
        }
        long q = s->pids[next[depth - 1]++];
        uint64_t lock;
        if (!waits_for(s, path[depth - 1], q, &lock))
            continue;
        if (q == me) {
            memcpy(cycle, path, depth * sizeof *path);
            return depth;
        }
        bool seen = false;
        for (size_t i = 0; i < depth; i++)
            seen |= path[i] == q;
        if (!seen && depth < MAX_SIDES) {
            path[depth] = q;
            next[depth] = 0;
            depth++;
        }
    }
    return 0;
}

/* ---- the finding -------------------------------------------------------- */

static bool in_cycle(const long *cycle, size_t n, long pid)
{
    for (size_t i = 0; i < n; i++)
        if (cycle[i] == pid)
            return true;
    return false;
}

static void report(const sides *s, const long *cycle, size_t n)
{
    uint64_t locks[MAX_THREADS];
    const char *kinds[MAX_THREADS];
    size_t nlocks = 0;
    for (size_t i = 0; i < s->nthreads; i++) {
        const side_thread *t = &s->threads[i];
        if (!t->waited || !in_cycle(cycle, n, t->pid))
            continue;
        size_t k = 0;
        while (k < nlocks && locks[k] != t->waited)
            k++;
        if (k == nlocks) {
            locks[nlocks] = t->waited;
            kinds[nlocks++] = t->kind;
        }
    }
    char pids[256] = "";
    for (size_t i = 0, len = 0; i < n && len < sizeof pids; i++)
        len += (size_t)snprintf(pids + len, sizeof pids - len, "%s%ld", i ? ", " : "", cycle[i]);
    cw_record r;
    if (cw_record_begin(&r, "deadlock", "%zu processes wait for each other in a cycle (processes %s): the program hangs",
                        n, pids) != 0)
        return;
    for (size_t k = 0; k < nlocks; k++) {
        char id[24];
        snprintf(id, sizeof id, "M%zu", k + 1);
        cw_record_lock(&r, id, kinds[k], "first used", 0, 0);
    }
    for (size_t c = 0; c < n; c++)
        for (size_t i = 0; i < s->nthreads; i++) {
            const side_thread *t = &s->threads[i];
            if (t->pid != cycle[c])
                continue;
            char role[256];
            size_t k = 0;
            while (k < nlocks && locks[k] != t->waited)
                k++;
            long holder = 0;
            for (size_t q = 0; t->waited && q < n && !holder; q++) {
                uint64_t lock;
                if (cycle[q] != t->pid && waits_for(s, t->pid, cycle[q], &lock) && lock == t->waited)
                    holder = cycle[q];
            }
            if (!t->waited)
                snprintf(role, sizeof role, "(process %ld) is blocked too", t->pid);
            else if (holder)
                snprintf(role, sizeof role, "(process %ld) waits for %s M%zu, held by process %ld", t->pid, t->kind,
                         k + 1, holder);
            else
                snprintf(role, sizeof role, "(process %ld) waits for %s M%zu", t->pid, t->kind, k + 1);
            cw_record_stack_pcs(&r, t->label, NULL, 0, 0, role);
            cw_record_raw(&r, t->frames, t->frames_len);
        }
    cw_record_note(&r, "every thread of each of these processes is blocked, each process waiting for a lock that "
                       "another one holds (locks shared between processes); concwatch ended them (exit %d) instead "
                       "of letting them hang", CW_EXIT_FINDINGS);
    cw_record_end(&r);
}

/* A cycle already reported by another of its processes (which may have
 * ended since, taking the cycle out of sight): its marker lists us. */
static bool named_in_a_marker(void)
{
    DIR *d = opendir(cw_flags.report_dir);
    if (!d)
        return false;
    bool named = false;
    struct dirent *e;
    while (!named && (e = readdir(d))) {
        if (strncmp(e->d_name, MARKER_PREFIX, strlen(MARKER_PREFIX)) != 0)
            continue;
        char path[PATH_MAX + 300], buf[1024];
        snprintf(path, sizeof path, "%s/%s", cw_flags.report_dir, e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t got = read(fd, buf, sizeof buf - 1);
        close(fd);
        buf[got > 0 ? got : 0] = '\0';
        for (char *p = buf; *p && !named;) {
            char *end;
            long pid = strtol(p, &end, 10);
            if (end == p)
                break;
            named = pid == (long)getpid();
            p = end;
        }
    }
    closedir(d);
    return named;
}

void cw_cross_process_hang(cw_blocked *all, size_t n)
{
    if (!cw_flags.report_dir[0])
        return;
    if (named_in_a_marker())
        _exit(CW_EXIT_FINDINGS);
    publish(all, n);
    sides *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED)
        return;
    memset(s, 0, sizeof *s);
    read_sides(s);
    long cycle[MAX_SIDES];
    size_t ncycle = s->text ? find_cycle(s, (long)getpid(), cycle) : 0;
    if (ncycle > 0) {
        long lowest = cycle[0];
        for (size_t i = 1; i < ncycle; i++)
            lowest = cycle[i] < lowest ? cycle[i] : lowest;
        char marker[4200], pids[MAX_SIDES * 12];
        side_path(marker, sizeof marker, MARKER_PREFIX, lowest);
        int fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {   /* elected: the one report of this cycle */
            report(s, cycle, ncycle);
            size_t len = 0;
            for (size_t i = 0; i < ncycle; i++)
                len += (size_t)snprintf(pids + len, sizeof pids - len, "%ld ", cycle[i]);
            ssize_t unused = write(fd, pids, len);   /* the others end when they read their pid here */
            (void)unused;
            close(fd);
        }
        _exit(CW_EXIT_FINDINGS);
    }
    if (s->text)
        munmap(s->text, FILE_CAP);
    munmap(s, sizeof *s);
}

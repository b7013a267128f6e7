/*
 * What the lock-events tests share (test_lock_events.c, test_lock_misuse.c):
 * findings go to a temporary directory, one subdirectory per case, and are
 * read back from <dir>/findings.<pid> (detector/common/record_format.h);
 * real threads report acquisitions and releases (cw_acquired/cw_released)
 * and the other events from helpers, with the pc an interceptor would pass
 * (the return address into the test code).  Included by one test file
 * each: everything is static.
 */
#ifndef CW_TEST_LOCK_EVENTS_FIXTURE_H
#define CW_TEST_LOCK_EVENTS_FIXTURE_H

#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "common/record_format.h"
#include "common/shim_flags.h"
#include "events/lock_events.h"
#include "events/record_writer.h"
#include "stacks/stack_capture.h"

#define NOINLINE __attribute__((noinline, unused))

static char root[] = "/tmp/cw_lock_events_XXXXXX";
static char text[1 << 16];   /* the current case's findings file */

static unsigned case_no;   /* cases count from 1 */

/* Findings of the next case go to a directory of their own. */
__attribute__((unused)) static void new_case(const char *name)
{
    snprintf(cw_flags.report_dir, sizeof cw_flags.report_dir, "%s/%s", root, name);
    mkdir(cw_flags.report_dir, 0700);
    case_no++;
}

__attribute__((unused)) static const char *findings(void)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s%d", cw_flags.report_dir, CW_FINDINGS_PREFIX, (int)getpid());
    text[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f) {
        text[fread(text, 1, sizeof text - 1, f)] = '\0';
        fclose(f);
    }
    return text;
}

/* Lines of the findings file starting with `prefix`. */
__attribute__((unused)) static int count(const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = findings(); *p;) {
        n += strncmp(p, prefix, len) == 0;
        const char *eol = strchr(p, '\n');
        p = eol ? eol + 1 : p + strlen(p);
    }
    return n;
}

/* The first frame line of the stack with this role, NULL if it has none. */
__attribute__((unused)) static const char *first_frame(const char *role)
{
    char head[128];
    snprintf(head, sizeof head, "\t%s\nframe\t", role);
    const char *p = strstr(text, head);
    return p ? p + strlen(head) - strlen("frame\t") : NULL;
}

#define INVERSIONS() count("finding\tlock-order-inversion\t")

/* ---- threads that take and release locks ---- */

enum op { END, TAKE, TRY, READ, GIVE };
typedef struct step {
    enum op op;
    uintptr_t addr;
} step;

NOINLINE static void take(uintptr_t addr, enum op op)
{
    cw_thread *t = cw_thread_self();
    cw_acquired(t, addr, op == READ ? CW_KIND_RWLOCK : CW_KIND_MUTEX, op == READ,
                op == TRY ? CW_ACQ_TRY : CW_ACQ_BLOCKING, (uintptr_t)__builtin_return_address(0));
    __asm__ volatile("" ::: "memory");
}

/* Each case takes its locks from code of its own (its own return address
 * into a caller of take): a cycle at code a reported cycle already had is
 * not reported again (one finding per piece of code, lock_findings.c), and the
 * cases stand for different bugs. */
#define TAKER(n)                                                  \
    NOINLINE static void take_##n(uintptr_t addr, enum op op)    \
    {                                                             \
        take(addr, op);                                           \
        __asm__ volatile("" ::: "memory");                        \
    }
TAKER(0) TAKER(1) TAKER(2) TAKER(3) TAKER(4) TAKER(5) TAKER(6) TAKER(7)
static void (*const takers[8])(uintptr_t, enum op) = { take_0, take_1, take_2, take_3,
                                                       take_4, take_5, take_6, take_7 };

/* The other events, reported from a helper as from an interceptor: the pc
 * is the return address into the test code that "called pthread". */
NOINLINE static void create(uintptr_t addr)
{
    cw_lock_created(cw_thread_self(), addr, CW_KIND_MUTEX, (uintptr_t)__builtin_return_address(0));
    __asm__ volatile("" ::: "memory");
}

NOINLINE static void destroy(uintptr_t addr, bool held)
{
    cw_lock_destroyed(cw_thread_self(), addr, CW_KIND_MUTEX, held, (uintptr_t)__builtin_return_address(0));
    __asm__ volatile("" ::: "memory");
}

NOINLINE static void relock(uintptr_t addr, bool hangs)
{
    cw_self_deadlock(cw_thread_self(), addr, CW_KIND_MUTEX, hangs, (uintptr_t)__builtin_return_address(0));
    __asm__ volatile("" ::: "memory");
}

NOINLINE static void bad_unlock(uintptr_t addr, pid_t owner)
{
    cw_unlock_misuse(cw_thread_self(), addr, CW_KIND_MUTEX, owner, (uintptr_t)__builtin_return_address(0));
    __asm__ volatile("" ::: "memory");
}

__attribute__((unused)) static void *play(void *arg)
{
    for (const step *s = arg; s->op != END; s++) {
        if (s->op == GIVE)
            cw_released(cw_thread_self(), s->addr);
        else
            takers[case_no % 8](s->addr, s->op);
    }
    return NULL;
}

/* A new thread plays the steps to the end; the next one starts after it. */
__attribute__((unused)) static void in_thread(const step *steps)
{
    pthread_t th;
    pthread_create(&th, NULL, play, (void *)steps);
    pthread_join(th, NULL);
}

#define RUN(...) in_thread((const step[]){ __VA_ARGS__, { END, 0 } })
#define T(a) { TAKE, a }
#define TR(a) { TRY, a }
#define RD(a) { READ, a }
#define G(a) { GIVE, a }

/* The locks: never reused across cases, each in 64 zeroed bytes (the shim
 * reads a lock's own fields, and the words around it, as in a real one). */
static char lockmem[66 * 64] __attribute__((aligned(64)));
#define LK(i) ((uintptr_t)&lockmem[((i) + 1) * 64])

/* ---- cleanup ---- */

__attribute__((unused)) static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR)
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Findings to a fresh temporary directory; false if there is none. */
static bool fixture_begin(void)
{
    if (!mkdtemp(root))
        return false;
    cw_stack_capture_init();
    cw_record_writer_init();
    cw_events_init();
    return cw_thread_self() != NULL;   /* the main thread is T0 */
}

/* The test's exit status; the findings are kept when something failed. */
static int fixture_end(void)
{
    if (failures)
        fprintf(stderr, "%d check(s) failed; findings kept in %s\n", failures, root);
    else
        remove_tree(root);
    return failures != 0;
}

#endif

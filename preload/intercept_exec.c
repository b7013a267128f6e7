#define _GNU_SOURCE
/*
 * exec and posix_spawn: a program of the tree that the shim cannot follow
 * (statically linked, set-user-ID or set-group-ID to someone else, with file
 * capabilities: common/exec_check.h) is recorded as `unwatched` in the
 * status file, so that the launcher says once that it ran unwatched — never
 * a failure.  Nothing else changes: every call goes on to the real one with
 * the same arguments.
 *
 * These run in vfork children too (Python's subprocess, posix_spawn): no
 * malloc, no writes but to the stack; the real functions are looked up at
 * start-up (cw_exec_init), never lazily in a child.
 */
#include <dlfcn.h>
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "intercept_exec.h"
#include "common/exec_check.h"
#include "common/shim_flags.h"
#include "common/shim_health.h"

#define EXEC_FUNCTIONS(X)                                                                           \
    X(int, execve, (const char *, char *const[], char *const[]))                                    \
    X(int, execv, (const char *, char *const[]))                                                    \
    X(int, execvp, (const char *, char *const[]))                                                   \
    X(int, execvpe, (const char *, char *const[], char *const[]))                                   \
    X(int, fexecve, (int, char *const[], char *const[]))                                            \
    X(int, posix_spawn, (pid_t *, const char *, const posix_spawn_file_actions_t *,                 \
                         const posix_spawnattr_t *, char *const[], char *const[]))                  \
    X(int, posix_spawnp, (pid_t *, const char *, const posix_spawn_file_actions_t *,                \
                          const posix_spawnattr_t *, char *const[], char *const[]))

#define DECLARE(ret, name, args) static ret(*real_##name) args;
EXEC_FUNCTIONS(DECLARE)
#undef DECLARE

void cw_exec_init(void)
{
#define RESOLVE(ret, name, args) real_##name = (ret(*) args)dlsym(RTLD_NEXT, #name);
    EXEC_FUNCTIONS(RESOLVE)
#undef RESOLVE
}

/* Records `file` (searched in PATH when `search`) if it will run unwatched. */
static void check(const char *file, bool search)
{
    if (!file || !cw_flags.report_dir[0])
        return;
    int saved = errno;
    char path[4096], why[256];
    if ((search ? cw_exec_search(file, path, sizeof path) : snprintf(path, sizeof path, "%s", file) > 0) &&
        cw_exec_unwatched(path, why, sizeof why)) {
        char line[4500];
        /* With its parent: a vfork child (posix_spawn, subprocess) never
         * wrote a `process` record of its own. */
        int n = snprintf(line, sizeof line, "unwatched\t%s\t%s\t%d\n", path, why, (int)getppid());
        if (n > 0 && n < (int)sizeof line && !strpbrk(path, "\t\n"))
            cw_status_append(line, (size_t)n);
    }
    errno = saved;
}

#define MISSING(name) (real_##name ? 0 : (errno = ENOSYS, -1))

int execve(const char *path, char *const argv[], char *const envp[])
{
    check(path, false);
    return MISSING(execve) ? -1 : real_execve(path, argv, envp);
}

int execv(const char *path, char *const argv[])
{
    check(path, false);
    return MISSING(execv) ? -1 : real_execv(path, argv);
}

int execvp(const char *file, char *const argv[])
{
    check(file, true);
    return MISSING(execvp) ? -1 : real_execvp(file, argv);
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
    check(file, true);
    return MISSING(execvpe) ? -1 : real_execvpe(file, argv, envp);
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    check(path, false);
    return MISSING(fexecve) ? -1 : real_fexecve(fd, argv, envp);
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    check(path, false);
    return MISSING(posix_spawn) ? ENOSYS : real_posix_spawn(pid, path, actions, attr, argv, envp);
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    check(file, true);
    return MISSING(posix_spawnp) ? ENOSYS : real_posix_spawnp(pid, file, actions, attr, argv, envp);
}

/* The execl family: glibc's own call execve/execvpe internally, past us. */
#define COLLECT_ARGS(first, extra)                                           \
    size_t n = 1;                                                            \
    va_list ap;                                                              \
    va_start(ap, first);                                                     \
    while (va_arg(ap, char *))                                               \
        n++;                                                                 \
    va_end(ap);                                                              \
    char *argv[n + 1];                                                       \
    argv[0] = (char *)(first);                                               \
    va_start(ap, first);                                                     \
    for (size_t i = 1; i <= n; i++)                                          \
        argv[i] = va_arg(ap, char *);                                        \
    extra;                                                                   \
    va_end(ap)

int execl(const char *path, const char *arg, ...)
{
    COLLECT_ARGS(arg, (void)0);
    return execv(path, argv);
}

int execlp(const char *file, const char *arg, ...)
{
    COLLECT_ARGS(arg, (void)0);
    return execvp(file, argv);
}

int execle(const char *path, const char *arg, ...)
{
    char *const *envp;
    COLLECT_ARGS(arg, envp = va_arg(ap, char *const *));
    return execve(path, argv, envp);
}

/* fork + exec + wait with signal forwarding; see run_program.h. */
#define _GNU_SOURCE
#include "run_program.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/record_format.h"
#include "process_tree.h"
#include "report/tsan_options.h"

/* The child to forward signals to; 0 once it is gone. */
static volatile sig_atomic_t child_pid;
/* A signal was forwarded to it (the watchdog hurries: process_tree.h). */
static volatile sig_atomic_t forwarded;

/* A signal the terminal generated (Ctrl-C, Ctrl-\\, hang-up: si_code
   SI_KERNEL) went to the whole foreground process group, the child included:
   forwarding it would deliver it twice (a Python program would get a second
   KeyboardInterrupt in its cleanup).  Unless the program moved itself to a
   group of its own.  Any signal sent by a process (kill, a CI timeout) is
   forwarded. */
static void forward_signal(int sig, siginfo_t *info, void *uc)
{
    (void)uc;
    pid_t pid = (pid_t)child_pid;
    if (pid <= 0)
        return;
    forwarded = 1;   /* (or the terminal sent it to the program too) */
    if (info && info->si_code == SI_KERNEL && getpgid(pid) == getpgrp())
        return;
    int saved = errno;
    kill(pid, sig);
    errno = saved;
}

/* Signal dispositions concwatch changes while the child runs. */
typedef struct saved_signals {
    struct sigaction intr, quit, term, hup, chld;
    sigset_t mask;
} saved_signals;

static void take_over_signals(saved_signals *saved)
{
    struct sigaction forward = { .sa_sigaction = forward_signal, .sa_flags = SA_RESTART | SA_SIGINFO };
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigemptyset(&forward.sa_mask);
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGINT, &forward, &saved->intr);
    sigaction(SIGQUIT, &forward, &saved->quit);
    sigaction(SIGTERM, &forward, &saved->term);
    sigaction(SIGHUP, &forward, &saved->hup);
    sigaction(SIGCHLD, &dfl, &saved->chld);   /* inherited SIG_IGN would break waitpid */
}

static void restore_signals(const saved_signals *saved)
{
    sigaction(SIGINT, &saved->intr, NULL);
    sigaction(SIGQUIT, &saved->quit, NULL);
    sigaction(SIGTERM, &saved->term, NULL);
    sigaction(SIGHUP, &saved->hup, NULL);
    sigaction(SIGCHLD, &saved->chld, NULL);
    sigprocmask(SIG_SETMASK, &saved->mask, NULL);
}

static void set_child_environment(const cw_run_request *req)
{
    const char *old = getenv("LD_PRELOAD");
    char *preload = NULL;
    if (old && old[0] && asprintf(&preload, "%s:%s", old, req->shim) >= 0)
        setenv("LD_PRELOAD", preload, 1);
    else
        setenv("LD_PRELOAD", req->shim, 1);
    free(preload);
    setenv(CW_REPORT_DIR_ENV, req->report_dir, 1);
    setenv(CW_HANG_AFTER_ENV, req->hang_after, 1);
    cw_tsan_options_setenv(req->report_dir);
}

/* In the child: never returns.  An exec failure is sent to the parent as an
   errno through the close-on-exec pipe (which a successful exec just closes). */
static _Noreturn void exec_child(const cw_run_request *req, const saved_signals *saved, int err_fd,
                                  pid_t launcher)
{
    /* Killed with the launcher: a program left running with nobody to read
     * its findings or end its hangs would be watched by no one, forever.
     * (SIGTERM and SIGHUP sent to the launcher are forwarded instead; only a
     * launcher that cannot forward anything, SIGKILLed, takes it along.)
     * Kept across exec, except into a set-user-ID program. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != launcher)
        _exit(127);   /* the launcher died before the line above */
    restore_signals(saved);
    set_child_environment(req);
    execvp(req->path, req->argv);  /* a path with '/': no search, but the /bin/sh fallback */
    int e = errno;
    ssize_t unused = write(err_fd, &e, sizeof e);
    (void)unused;
    _exit(127);
}

/* Waits for the child to end without reaping it, stops forwarding, then reaps:
   so a late SIGTERM can never hit a recycled pid. */
static int wait_child(pid_t pid, const char *report_dir)
{
    /* Woken by SIGCHLD (blocked, so that sigtimedwait takes it), and every
     * 100 ms for the watchdog over the shim (process_tree.h). */
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    for (;;) {
        siginfo_t info;
        info.si_pid = 0;
        int rc = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT | WNOHANG);
        if (rc == 0 && info.si_pid == pid)
            break;
        if (rc != 0 && errno != EINTR)
            break;
        struct timespec tick = { 0, 100 * 1000000L };
        sigtimedwait(&chld, NULL, &tick);
        if (forwarded)
            cw_watchdog_hurry();
        cw_watchdog_look(report_dir);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    child_pid = 0;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

/* The errno sent by a failed exec, or 0 if exec succeeded. */
static int exec_error(int fd)
{
    int e = 0;
    ssize_t got;
    while ((got = read(fd, &e, sizeof e)) < 0 && errno == EINTR)
        ;
    return got == (ssize_t)sizeof e ? e : 0;
}

int cw_run_program(const cw_run_request *req, char *err, size_t errlen)
{
    err[0] = '\0';
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot start %s: %s", req->argv[0], strerror(errno));
        return 2;
    }
    saved_signals saved;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    /* Blocked across fork: a signal arriving before child_pid is set is
       delivered (and forwarded) right after, instead of being lost. */
    sigprocmask(SIG_BLOCK, &block, &saved.mask);
    take_over_signals(&saved);
    pid_t launcher = getpid();
    pid_t pid = fork();
    if (pid == 0)
        exec_child(req, &saved, pipe_fds[1], launcher);
    close(pipe_fds[1]);
    int status = 2;
    if (pid < 0) {
        snprintf(err, errlen, "cannot start %s: fork: %s", req->argv[0], strerror(errno));
    } else {
        child_pid = pid;
        sigprocmask(SIG_SETMASK, &saved.mask, NULL);
        int e = exec_error(pipe_fds[0]);
        status = wait_child(pid, req->report_dir);
        cw_wait_for_tree(req->report_dir, pid);
        if (e) {
            snprintf(err, errlen, "cannot execute %s: %s", req->path, strerror(e));
            status = e == ENOENT ? 127 : 126;
        }
    }
    close(pipe_fds[0]);
    restore_signals(&saved);
    return status;
}

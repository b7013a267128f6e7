/*
 * The software watchpoints' guard on system calls (Syscall User Dispatch,
 * Linux 5.11+).  A protected page (sw_pages.h) faults for the program's own
 * instructions, which the fault handler emulates; but the kernel touching it
 * for a system call fails with EFAULT instead: read(2) into a buffer on it,
 * a futex wait on a lock word there, munmap of it...  That would change what
 * the program does, so while the software backend runs, every system call of
 * every thread of the program comes here first (SIGSYS): the watched pages
 * that its arguments can reach are given back (sw_pages.h: the watch ends),
 * and the call then runs as it would have, from a trampoline (`syscall; jmp
 * back`) in a code region of ours that the dispatch lets through — in the
 * program's own context, so blocking, signals, restarts and clone work as
 * without us.
 *
 * Signals: a SIGSYS that arrives while blocked kills the process, so no
 * thread may ever block SIGSYS (nor SIGSEGV, the faults) while guarded:
 * sigprocmask calls are performed here on the interrupted context's mask,
 * without those two; handlers get them out of their masks (rt_sigaction;
 * also those installed before the guard started); waits with a temporary
 * mask (sigsuspend, ppoll, pselect, epoll_pwait) get a copy without them.
 * A SIGSEGV or SIGSYS handler the program installs is kept as the one ours
 * hand over to.
 *
 * Each thread turns the dispatch on for itself (it is not inherited by
 * threads or fork children, and exec clears it): the thread that starts the
 * backend, then every thread the shim starts (cw_sud_register_self).
 * Threads that never pass through the shim are not guarded.  Costs ~3 us per
 * system call of a guarded thread.  Async-signal-safe where it runs in the
 * handler; all its own system calls go through cw_sud_raw.
 */
#ifndef CW_SYSCALL_GUARD_H
#define CW_SYSCALL_GUARD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sets the guard up (region, SIGSYS handler, signal masks) and turns it on
 * for the calling thread; false with a reason. */
bool cw_sud_start(char *why, size_t len);
bool cw_sud_running(void);
/* Turns it on for the calling thread (a new thread, before it runs the program's code). */
void cw_sud_register_self(void);
/* A system call that the dispatch lets through. */
long cw_sud_raw(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
/* Installs fn for sig with our restorer, keeping the program's action as
 * the one it hands over to. */
bool cw_sud_install_handler(int sig, void (*fn)(int, siginfo_t *, void *));
/* The restorer of our own handlers (sigreturn from the allowed region). */
void *cw_sud_restorer(void);
/* The program's own action for sig (SIGSEGV, SIGSYS) that ours hand over to,
 * in the kernel's layout. */
typedef struct cw_ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
} cw_ksigaction;
cw_ksigaction *cw_sud_program_action(int sig);
/* A guarded thread's system call in progress may touch [lo, hi) (call
 * with the pages' lock held, sw_pages.h). */
bool cw_sud_pending_overlaps(uintptr_t lo, uintptr_t hi);
/* How many system calls went through the guard (the budget charges them). */
unsigned long cw_sud_trapped(void);

#endif

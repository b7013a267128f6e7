/*
 * The run's processes, seen from the launcher: every process of the
 * program's tree that loaded the shim announces itself in the report
 * directory (status.<pid>, health.<pid>: common/shim_health.h).
 *
 * While the program runs, a watchdog reads each health page: a thread that
 * has waited for one of the shim's own spin locks, or a hang watcher that
 * has not looked, for longer than CONCWATCH_SHIM_WATCHDOG seconds (default
 * 10) means a deadlock inside concwatch, which the hang watcher cannot see
 * (it may be the one stuck).  That process is reported and killed.
 *
 * After the program ended, processes of its tree may still run (a server's
 * workers, multiprocessing's forkserver and resource tracker, a daemon):
 * the launcher waits for them up to CONCWATCH_TREE_WAIT seconds (default
 * 5), so that what they find reaches the report, then names those still
 * running: what they find later is lost.
 */
#ifndef CW_PROCESS_TREE_H
#define CW_PROCESS_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One look of the watchdog (call it every ~100 ms while the program runs).
 * Returns the pid of a process whose shim is deadlocked (after printing
 * what was seen on stderr and killing it), or 0. */
pid_t cw_watchdog_look(const char *report_dir);

/* After the program (pid `main_pid`) ended: waits for the other processes
 * of the tree, up to the bound, then prints one line per process still
 * running.  Returns how many were left running. */
size_t cw_wait_for_tree(const char *report_dir, pid_t main_pid);

/* The program was asked to end (a signal forwarded to it): from now on a
 * wait of one second for one of the shim's locks is a deadlock.  A thread
 * stuck in the shim's SIGSYS/SIGSEGV handlers blocks every asynchronous
 * signal there (their handlers take spin locks): the signal would stay
 * pending where natively it ends the program at once. */
void cw_watchdog_hurry(void);

/* How many processes the watchdog ended in this run (each an internal
 * error of concwatch's, counted in the report's internal_errors). */
unsigned cw_watchdog_kills(void);

#endif

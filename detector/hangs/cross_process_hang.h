/*
 * Processes blocked on each other: a deadlock no single process can see.
 *
 * A thread waiting for a lock shared between processes (events/shared_locks.h)
 * may be released by another process: one process whose threads are all
 * blocked, some on such locks, proves nothing alone, and is not reported as
 * hung by itself (a worker waiting for a multiprocessing.Lock that a busy
 * process holds is no deadlock).  Instead its hang watcher publishes its
 * side in the report directory, "xwaits.<pid>" (written whole and renamed
 * in place): one record per blocked thread,
 *   finding x-wait <label> <tid> <waited-id> <kind> <held-id>,<held-id>...
 *   stack <label> waits + frames (or pyframes)
 *   end
 * and reads the other processes' sides.  When processes wait for each other
 * in a cycle (P waits for a lock Q holds, Q for one P holds, each with all its
 * threads blocked for --hang-after), the first of them to see it (an
 * exclusive marker file, "xhang.<lowest pid>", elects it) writes one
 * `deadlock` finding with every side's stacks, each marked with its process,
 * then lists the cycle's pids in the marker, and ends with status 66; every
 * other process of the cycle ends with status 66 when it reads its pid there.  A side is withdrawn as soon as its process is
 * no longer all blocked.
 *
 * Runs on the hang watcher's thread only.
 */
#ifndef CW_CROSS_PROCESS_HANG_H
#define CW_CROSS_PROCESS_HANG_H

#include <stdbool.h>
#include <stddef.h>

#include "blocked.h"

#define CW_XWAITS_PREFIX "xwaits."

/* Whether the thread waits on a lock shared with other processes. */
bool cw_waits_on_shared_lock(const cw_blocked *b);

/* Every thread is blocked for good, some on shared locks: publishes this
 * process's side and looks for a cycle of processes.  Does not return when
 * it finds one. */
void cw_cross_process_hang(cw_blocked *all, size_t n);

/* The process is not all blocked on shared locks (any more): withdraws its side. */
void cw_cross_process_running(void);

/* fork: the child has no side of its own yet. */
void cw_cross_process_after_fork_child(void);

#endif

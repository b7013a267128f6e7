/*
 * Lock-order cycles across processes.
 *
 * Each shim knows only its own process's lock order.  For locks shared
 * between processes (a multiprocessing.Lock, a PTHREAD_PROCESS_SHARED mutex
 * in shared memory) every shim publishes its lock-order edges, with an
 * identity of each lock that is the same in all processes, in the report
 * directory (xedges.<pid>, see events/shared_locks.h).  After the run the
 * launcher joins them into one graph: a cycle whose edges were taken in at
 * least two processes (process A takes L1 then L2, process B L2 then L1)
 * is a potential deadlock no shim could see alone, and becomes a
 * lock-order-inversion finding with every edge's two stacks, each marked
 * with its process.  (A cycle within one process is that shim's own
 * finding.)  One finding per set of locks.
 */
#ifndef CW_CROSS_PROCESS_H
#define CW_CROSS_PROCESS_H

#include <stddef.h>

#include "finding.h"

#define CW_XEDGES_FILE_PREFIX "xedges."

/* Appends the cross-process cycles of the edges published in dir; returns
 * how many findings were appended. */
size_t cw_cross_process_cycles(const char *dir, cw_finding_list *out);

#endif

/*
 * Locks shared between processes: one lock in every process that maps it.
 *
 * A multiprocessing.Lock is a named POSIX semaphore (sem_open: a file of
 * /dev/shm mapped into each process, inherited over fork), a
 * PTHREAD_PROCESS_SHARED mutex or rwlock lives in memory mapped MAP_SHARED,
 * a process-shared semaphore likewise.  Each process's shim sees only its own
 * side: its own lock-order graph, its own blocked threads.  So that the
 * launcher (lock-order cycles, report/cross_process.h) and the hang watchers
 * (processes blocked on each other, hangs/cross_process_hang.h) can join the
 * sides, a shared lock gets an identity that is the same in every process:
 * the device, inode and file offset of the byte it starts at, from the
 * process's own /proc/self/maps (a shared anonymous mapping has an inode of
 * its own too, kept across fork).
 *
 * Whether a lock is shared is read from the lock itself, where glibc keeps
 * it (a mutex's kind, an rwlock's `shared`, a semaphore's private flag), so
 * it holds for locks made before a fork or by another process; the mapping
 * is looked up once per lock (cached in its lock-table slot).
 *
 * Lock-order edges between two shared locks are published in the report
 * directory, "xedges.<pid>", as records (record_format.h) of kind x-edge:
 *   finding x-edge <from-id> <to-id>          (ids: 16 hex digits)
 *   lock M1 <type> <how> + frames              where `from` was made
 *   lock M2 <type> <how> + frames              where `to` was made
 *   stack <thread> acquiring + frames          where `to` was taken
 *   stack <thread> holding + frames            where `from` had been taken
 *   end
 * once per pair of locks and process.
 */
#ifndef CW_SHARED_LOCKS_H
#define CW_SHARED_LOCKS_H

#include <stdbool.h>
#include <stdint.h>

#include "lock_kind.h"
#include "thread_state.h"

#define CW_XEDGES_PREFIX "xedges."

/* The lock's identity across processes, or 0: a lock of this process only
 * (or one whose mapping cannot be found). */
uint64_t cw_shared_lock_id(uintptr_t addr, cw_lock_kind kind);

/* Cheap: the lock says it may be shared (no /proc read). */
bool cw_lock_says_shared(uintptr_t addr, cw_lock_kind kind);

/* What cw_shared_nesting needs of a lock, taken under the graph lock. */
typedef struct cw_shared_end {
    uintptr_t addr;
    uint8_t kind;
    cw_stack_id taken;          /* where it was (is being) taken */
    cw_stack_id made;           /* where it was created or first used */
    bool created;
} cw_shared_end;

/* Thread t, holding `from`, does a blocking acquire of `to`: published when
 * both are shared (first time for this pair in this process).  Not under the
 * graph lock: it may read /proc/self/maps. */
void cw_shared_nesting(const cw_thread *t, const cw_shared_end *from, const cw_shared_end *to);

#endif

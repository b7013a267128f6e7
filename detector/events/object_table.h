/*
 * Object table: what the shim knows of the few objects that need more than
 * a lock-table slot (lock_table.h stays small: it holds one slot per lock the
 * program uses, a million locks included).
 *
 *   - conditions, barriers and semaphores threads wait on: who waits on them
 *     now, the wake-ups of a condition, a barrier's rounds, and the misuses
 *     already reported about their waiters (wait_objects.h);
 *   - locks shared between processes: their identity, found once
 *     (shared_locks.h).
 *
 * Keyed by address like the lock table, with the same lock-free open
 * addressing over an mmap'd array touched only where used; an object made
 * again at an address resets the fields it owns (cw_object_table_reset).
 * When the table is full, objects are not tracked (NULL): the checks that
 * need them are skipped, never wrong.
 */
#ifndef CW_OBJECT_TABLE_H
#define CW_OBJECT_TABLE_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct cw_object_slot {
    _Atomic uintptr_t addr;
    _Atomic uint32_t flags;            /* CW_OBJECT_* below */
    _Atomic uint32_t waiters;          /* threads in an intercepted blocking wait on it now */
    _Atomic uint32_t wakes;            /* conditions: signals and broadcasts that found waiters */
    _Atomic uint32_t broadcast_at;     /* conditions: `wakes` after the last broadcast */
    _Atomic uintptr_t bound_mutex;     /* conditions: the mutex its waiters use */
    _Atomic uint32_t barrier_count;    /* barriers: threads per round (0 = init not seen) */
    _Atomic uint32_t barrier_arrived;  /* barriers: arrivals since init */
    _Atomic uint64_t shared_id;        /* identity across processes, 1 = not shared, 0 = not looked up */
} cw_object_slot;

/* A misuse about the threads waiting on it was reported (destroyed or
 * initialised while they wait): a hang that follows is that bug, not another. */
#define CW_OBJECT_WAITERS_REPORTED 1u
/* A barrier initialised (a misuse to initialise again while in static storage). */
#define CW_OBJECT_LIVE 2u
/* Misuses already reported for this object (one finding per bug, not per call). */
#define CW_OBJECT_REPORTED_UNHELD_WAIT 4u
#define CW_OBJECT_REPORTED_TWO_MUTEXES 8u

/* The slot for addr, inserting it if needed; NULL when the table is full. */
cw_object_slot *cw_object_table_get(uintptr_t addr);
/* The slot for addr if present, else NULL; never inserts. */
cw_object_slot *cw_object_table_find(uintptr_t addr);

#endif

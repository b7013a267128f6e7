/*
 * Lock table: from a lock's address to what the shim knows about the lock
 * living there now.
 *
 * A lock is not an address: memory is reused.  Each initialisation (and each
 * destroy) starts a new lock at the same address by dropping the slot's graph
 * node, so the lock-order graph never connects two different locks that
 * happened to share memory.  The node is made lazily, the first time the lock
 * takes part in nesting, so a lock that is only ever taken alone costs nothing
 * but its slot.
 *
 * Slots are handed out densely, in order, from chunks mmap'd as needed, and
 * never move: a slot pointer stays valid for the life of the process.  An
 * index (open addressing, 8 bytes per entry, in levels of growing size: the
 * first of 4096 entries, each next one twice the last, made when the last
 * is 60% full) finds them by address.  So memory follows the number of lock
 * addresses in use (at 1M locks: 48 MB of slots, 17 MB of index), not a
 * fixed maximum.  Lookups never lock (newest level first); inserting a new
 * address takes a spin lock of its own (once per address).  Addresses are
 * never removed (a destroyed lock's slot is reused by whatever lock lives at
 * that address next).  When memory runs out, new addresses are not tracked
 * (cw_lock_table_get returns NULL) rather than failing the program.
 */
#ifndef CW_LOCK_TABLE_H
#define CW_LOCK_TABLE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "stacks/stack_depot.h"

typedef struct cw_lock_slot {
    _Atomic uintptr_t addr;
    _Atomic uint64_t node;             /* lock-order graph node of the current lock, 0 = none yet */
    _Atomic cw_stack_id create_stack;  /* where initialised; 0 for static initialisers */
    _Atomic uint16_t kind;
    _Atomic uint16_t flags;            /* CW_LOCK_* below, and a CPython lock's type */
    /* Semaphores used as locks: who took it last, and how often it was released. */
    _Atomic uint32_t sem_value0;       /* initial value + 1 (0 = unknown) */
    _Atomic uint32_t sem_taker;        /* thread index + 1 of the last taker, 0 = none */
    _Atomic cw_stack_id sem_take_stack;
    _Atomic uint32_t sem_epoch;        /* bumped by every post */
    _Atomic cw_stack_id destroy_stack; /* where it was destroyed (CW_LOCK_DESTROYED) */
    _Atomic uint32_t create_seq;       /* order of its init among all inits (predicted_cycles.h) */
} cw_lock_slot;

/* A robust mutex: its owner may end while holding it, by design (the next
 * locker is told, EOWNERDEAD). */
#define CW_LOCK_ROBUST 1u
/* A binary semaphore its holder waits on again: a signal another thread
 * posts (CPython's Condition.wait waiter lock), not a lock; it takes no part
 * in lock order (the hang watcher still sees the wait). */
#define CW_LOCK_SIGNAL 2u
/* Known from where it was made to be such a signal: CPython's Condition.wait
 * made it as its waiter (python/py_lock_types.h).  A thread blocked on it
 * waits for a notify, whether or not its Python stack can be read. */
#define CW_LOCK_WAITER 4u
/* A thread's lifetime lock (CPython 3.10-3.12: threading's tstate lock, held
 * by its thread from start to end): only join() waits on it. */
#define CW_LOCK_LIFETIME 8u
/* A semaphore CPython 3.13+ parks a Thread.join on (its parking lot's, made
 * for the wait): sem_taker is then the thread being joined (index + 1). */
#define CW_LOCK_JOIN 16u
/* A CPython lock that is the runtime's bookkeeping (threading's module
 * locks, importlib's module locks: python/py_lock_types.h): it orders
 * nothing for the Python race checks. */
#define CW_LOCK_INTERNAL 32u
/* A CPython lock's type, what the user made (python/py_lock_types.h; 0 =
 * none), in bits 8-11 of flags: the slot stays 48 bytes. */
#define CW_LOCK_PY_TYPE_SHIFT 8
#define CW_LOCK_PY_TYPE_MASK 0xF00u

/* Destroyed, and not initialised again since.  (Its own bit: it once shared
 * 32 with CW_LOCK_INTERNAL, so a CPython runtime lock looked destroyed and a
 * destroyed mutex looked like the runtime's bookkeeping.) */
#define CW_LOCK_DESTROYED 0x2000u
/* A reported misuse broke glibc's own count of the lock (an extra unlock of
 * an rwlock): what its fields say (locked) is no longer a second bug. */
#define CW_LOCK_MISCOUNTED 64u
/* Its memory was freed (free, munmap): the lock no longer exists; what its
 * holder does with it next is part of the bug already reported. */
#define CW_LOCK_FREED 128u
/* The lock of this destroyed mutex was reported (once per lock). */
#define CW_LOCK_REPORTED_DESTROYED_USE 0x1000u
/* Every flag has a bit of its own, outside the CPython type's bits. */
_Static_assert(((CW_LOCK_ROBUST | CW_LOCK_SIGNAL | CW_LOCK_WAITER | CW_LOCK_LIFETIME | CW_LOCK_JOIN |
                 CW_LOCK_INTERNAL | CW_LOCK_DESTROYED | CW_LOCK_MISCOUNTED | CW_LOCK_FREED |
                 CW_LOCK_REPORTED_DESTROYED_USE) & CW_LOCK_PY_TYPE_MASK) == 0 &&
               __builtin_popcount(CW_LOCK_ROBUST | CW_LOCK_SIGNAL | CW_LOCK_WAITER | CW_LOCK_LIFETIME |
                                  CW_LOCK_JOIN | CW_LOCK_INTERNAL | CW_LOCK_DESTROYED | CW_LOCK_MISCOUNTED |
                                  CW_LOCK_FREED | CW_LOCK_REPORTED_DESTROYED_USE) == 10,
               "each CW_LOCK_* flag has its own bit");
/* (0xF00: a CPython lock's type, below.  Conditions, barriers and semaphores
 * keep what they need more in the object table, object_table.h.) */

static inline unsigned cw_lock_py_type(cw_lock_slot *slot)
{
    return (atomic_load(&slot->flags) & CW_LOCK_PY_TYPE_MASK) >> CW_LOCK_PY_TYPE_SHIFT;
}

/* The slot for addr, inserting it if needed; NULL when the table is full. */
cw_lock_slot *cw_lock_table_get(uintptr_t addr);
/* The slot for addr if present, else NULL; never inserts. */
cw_lock_slot *cw_lock_table_find(uintptr_t addr);

/* Home entry of addr in index level l of 2^bits entries: Fibonacci hashing with a
 * multiplier of its own per level, so that addresses that cluster in one
 * level (a whole probe window of them) are spread out again in the next. */
static inline uint32_t cw_lock_table_hash(uintptr_t addr, uint32_t l, uint32_t bits)
{
    uint64_t k = 0x9e3779b97f4a7c15ull + l * 0xdaa66d2c7ddf743eull;   /* odd */
    return (uint32_t)(((uint64_t)addr * k) >> (64 - bits));
}

/* Bytes of slots and index mapped so far. */
size_t cw_lock_table_bytes(void);

/* fork(): the insert lock must not be held by a thread the child lacks. */
void cw_lock_table_before_fork(void);
void cw_lock_table_after_fork(void);

#endif

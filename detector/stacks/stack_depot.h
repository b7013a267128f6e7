/*
 * Stack depot: interns call stacks (arrays of program counters) and names each
 * distinct stack by a small integer id, like TSan's StackDepot.
 *
 * Why: a lock-order edge, a lock's creation site and a held lock all refer to
 * stacks; storing a 4-byte id instead of 64 PCs keeps per-thread and per-lock
 * records small, and identical stacks are stored once.
 *
 * Ids are never reused and stay valid for the life of the process; 0 means
 * "no stack".  Memory comes from mmap, never malloc, so the depot can be used
 * from inside the watched program's allocator or before it is initialised.
 * Thread-safe: put() takes an internal spin lock (it is the slow path, reached
 * once per new call site per thread); get() is lock-free.
 */
#ifndef CW_STACK_DEPOT_H
#define CW_STACK_DEPOT_H

#include <stddef.h>
#include <stdint.h>

#define CW_MAX_FRAMES 48

typedef uint32_t cw_stack_id;

cw_stack_id cw_stack_depot_put(const uintptr_t *pcs, size_t n);
/* Returns the frames of `id` (innermost first) and their count in *n; NULL for 0 or unknown ids. */
const uintptr_t *cw_stack_depot_get(cw_stack_id id, size_t *n);

/* fork(): the child must not inherit a lock held by a thread that no longer exists. */
void cw_stack_depot_before_fork(void);
void cw_stack_depot_after_fork(void);

#endif

/*
 * Deadlocks predicted from one run: the shim's side of lock classes
 * (analysis/lock_classes.h).
 *
 * A lock's class is where it was made: the stack of its pthread_mutex_init
 * (rwlock, spinlock: their init), or for a CPython Lock the Python stack of
 * its Lock() call.  Statically initialised locks (PTHREAD_MUTEX_INITIALIZER)
 * have no class: each is one lock of its own, already fully covered by the
 * lock-order graph.  Every new nesting of two classed locks is fed to the
 * analysis with what could show that their instances are taken in one
 * stable order: their addresses, their creation order (a counter bumped at
 * each init), and the integer fields around the two locks in their objects
 * (an id, a sort key: 4- and 8-byte words within 64 bytes before and after
 * the lock, read in the lock's own page so that no read can fault).  A
 * predicted cycle is a `lock-order-inversion` finding with a note that it
 * was predicted, not seen.
 *
 * Also here: the rule that keeps a report of many cycles readable, shared
 * with seen cycles: a cycle becomes a finding only when one of its edges was
 * taken at a pair of stacks (holding here, acquiring there) no reported
 * cycle had.  Callers hold the shim's graph lock.
 */
#ifndef CW_PREDICTED_CYCLES_H
#define CW_PREDICTED_CYCLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "thread_state.h"
#include "analysis/lock_order.h"

/* Thread t, holding h (its graph node resolved), acquires the lock of graph
 * node `to` (attrs: as given to the lock-order graph).  Reports a predicted
 * cycle when the nesting completes one, unless `seen`: the same nesting
 * closed a cycle of the locks themselves, which is reported as seen. */
void cw_predicted_nesting(const cw_thread *t, const cw_held_lock *h, uint64_t to, const cw_edge_attrs *attrs,
                          bool seen);

struct cw_node_info;
/* The lock class of a node being made (0: none), kept in its description. */
uint64_t cw_predicted_class_key(const struct cw_node_info *info);

/* The lock of graph node `node` is gone (destroyed or made again). */
void cw_predicted_forget(uint64_t node);

/* Whether any of the n (holding-stack, acquiring-stack) pairs is new to
 * the reported cycles; when so, all n are remembered as reported.  Counted
 * in cw_cycles_not_reported when not. */
bool cw_code_pairs_new(const uint64_t *pairs, size_t n);
static inline uint64_t cw_code_pair(uint32_t from_stack, uint32_t to_stack)
{
    return ((uint64_t)from_stack << 32 | to_stack) + 1;
}
extern _Atomic uint64_t cw_cycles_not_reported;

#endif

/*
 * cw_lock_classes: deadlocks predicted from one run, through lock classes
 * (Linux lockdep's idea, without its false alarms on code that orders its
 * locks).
 *
 * A class is where locks are made: every account lock initialised by
 * account_init() is one class, every Lock() made at one Python line another.
 * transfer(from, to), locking `from` then `to`, deadlocks as soon as two
 * transfers go opposite ways, even in a run that only ever moved money one
 * way: the locks' instances never formed a cycle, their class (account lock
 * inside account lock) did.  So the shim also feeds every nesting (a thread
 * holding `outer` does a blocking acquire of `inner`) to this module, which
 * reports
 *   - a class nested in itself, when nothing in the run shows that the
 *     instances are taken in one stable order, and
 *   - a cycle among different classes (X inside Y here, Y inside X there)
 *     that no instance cycle of the run closed,
 * as predicted cycles.  What does show a stable order (any of these
 * suppresses a prediction; they are the correct fixes, or correct designs):
 *   - a key that orders every nested pair the same way: the caller gives,
 *     for each nesting, which of a fixed set of candidate keys of the outer
 *     lock are smaller (`keys_less`) or greater (`keys_greater`) than the
 *     inner's: the address and the creation order (CW_CLASS_KEYS_ANY_CLASS:
 *     comparable across classes), and, within a class, the integer fields
 *     around the lock in its object (an id, a list's sort key).  A key the
 *     caller cannot read for a nesting has its bit set in both masks (it
 *     neither confirms nor contradicts); a key whose bit is set in
 *     keys_less in every nesting of an edge (every edge of a cycle) and not
 *     in keys_greater in all of them, or the reverse, is that order;
 *   - a hierarchy (within a class): every instance is only ever nested
 *     inside one other instance (a list walked hand over hand, a tree from
 *     parent to child);
 *   - a gate: one lock instance held on every nesting of the edge (of every
 *     edge of the cycle): those nestings are serialized by it;
 *   - readers: read inside read on every nesting (class nested in itself),
 *     or read/read at a lock of the cycle, as in lock_order.h.
 * Evidence only ever weakens as nestings accumulate (masks and gates
 * narrow, a second outer breaks a hierarchy), so a prediction is made the
 * moment the last evidence goes, once per set of classes.
 *
 * Costs: an occurrence that changes nothing: two hash lookups.  A change to
 * a self-nesting: O(1).  A new or weakened edge between classes: a
 * depth-first search over simple class paths (classes are few: one per
 * place locks are made), bounded by CW_MAX_CLASS_CYCLE edges and a step
 * budget; past it no prediction.  Space: O(classes + class edges + instances
 * nested in their own class).
 *
 * Pure: no shim code, no locking (callers serialize), no stdio, no abort;
 * out of memory, an occurrence is dropped.
 */
#ifndef CW_LOCK_CLASSES_H
#define CW_LOCK_CLASSES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CW_CLASS_MAX_GATES 8
#define CW_MAX_CLASS_CYCLE 8

/* Candidate keys 0 and 1: comparable between locks of different classes. */
#define CW_CLASS_KEY_ADDRESS 1ull
#define CW_CLASS_KEY_CREATION 2ull
#define CW_CLASS_KEYS_ANY_CLASS (CW_CLASS_KEY_ADDRESS | CW_CLASS_KEY_CREATION)

typedef struct cw_lock_classes cw_lock_classes;

/* A thread holding `outer` does a blocking acquire of `inner`. */
typedef struct cw_class_nesting {
    uint64_t outer_class, inner_class;    /* nonzero: where the locks were made */
    uint64_t outer, inner;                /* the lock instances: nonzero, distinct */
    bool outer_read, inner_read;          /* held / acquired in shared mode */
    uint64_t keys_less, keys_greater;     /* candidate keys of outer < (>) inner's */
    uint32_t ngates;
    uint64_t gates[CW_CLASS_MAX_GATES];   /* the other lock instances held */
    uint32_t outer_stack, inner_stack;    /* opaque: where outer was taken, inner is taken */
    uint32_t thread;                      /* opaque */
} cw_class_nesting;

/* A predicted cycle: n class edges (edges[i].inner_class ==
 * edges[i+1].outer_class, and the last back to the first); each edge is
 * shown by a nesting of the run.  n == 1: a class nested in itself, shown by
 * the nesting `edges[0]` and a second one, `other`, that no stable order
 * explains together with it. */
typedef struct cw_class_cycle {
    size_t n;
    cw_class_nesting edges[CW_MAX_CLASS_CYCLE];
    cw_class_nesting other;
} cw_class_cycle;

/* NULL when out of memory. */
cw_lock_classes *cw_lock_classes_new(void);
void cw_lock_classes_free(cw_lock_classes *lc);

/* Feeds one nesting.  Returns true, with *out filled, when it completes a
 * predicted cycle over a set of classes never predicted before. */
bool cw_lock_classes_add(cw_lock_classes *lc, const cw_class_nesting *n, cw_class_cycle *out);

/* The instance is gone (destroyed): it no longer counts for hierarchies;
 * a new lock at its address gets a new instance id. */
void cw_lock_classes_forget(cw_lock_classes *lc, uint64_t instance_class, uint64_t instance);

size_t cw_lock_classes_class_count(const cw_lock_classes *lc);
size_t cw_lock_classes_edge_count(const cw_lock_classes *lc);

#endif

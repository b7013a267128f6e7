/*
 * cw_lock_order: the lock-order graph of a watched program and the potential
 * deadlocks (lock-order inversions) it contains.
 *
 * The shim creates one node per lock and, each time a thread holding lock
 * `from` starts a BLOCKING acquire of lock `to`, adds the edge from->to with
 * its attributes (trylocks never wait, so they add no edge).  The module
 * answers whether that edge completes a cycle that is a real potential
 * deadlock, and reports each such cycle once.  A cycle is FEASIBLE when:
 *   - gate rule: no lock other than the cycle's own was held on every edge
 *     (the intersection of the edges' gate sets is empty); otherwise the
 *     threads serialize on that common "gate" lock and cannot deadlock;
 *   - read/read rule: no node N is both acquired in read mode by the edge
 *     entering N and held in read mode by the edge leaving N (readers don't
 *     block readers).
 * A cycle whose edges all come from one thread IS reported: the order is the
 * bug even if this run was lucky (as in Linux lockdep).
 *
 * Edges are identified by (from, to).  Repeated occurrences merge: the gate
 * set becomes the intersection of all the occurrences' gate sets, a read flag
 * stays true only while every occurrence had it, and `first` keeps the first
 * occurrence for the report.  A merge can only make cycles MORE feasible, so
 * a cycle suppressed by a gate is reported once it occurs without the gate.
 *
 * Nodes are cw_lock_graph handles (see lock_graph.h): never reused, 0 is no
 * node, a removed node's handle reads as removed and is ignored everywhere.
 * Self edges (from == to) are ignored: re-locking is the shim's business.
 *
 * "Reported once" means once per canonical node set: a 64-bit hash of the
 * sorted node handles is remembered (8 bytes per report; a hash collision
 * could hide a later cycle with probability ~ reports^2 / 2^64).  Two
 * different cycles over the same nodes are therefore one finding.
 *
 * No internal locking: callers serialize every call.  No stdio, no abort.
 * Allocation failure degrades: a node or edge that cannot be stored is
 * dropped (node_new returns 0, add_edge returns KNOWN), a search that cannot
 * get memory reports nothing.
 *
 * Cost model (V nodes, E edges):
 *   add_edge of an occurrence that changes nothing: one hash lookup and a
 *     compare of at most CW_MAX_GATES^2 gate ids.  This is the hot path.
 *   add_edge of a new edge while every stored edge fits the DAG (no program
 *     inversion seen yet, no gated/read-only cycle): the Pearce-Kelly
 *     insertion of lock_graph.h, O(affected region); no cycle search.
 *   otherwise (the new edge closes a cycle, or some earlier edge was kept out
 *     of the DAG because it closed one, or an edge's attributes widened while
 *     such edges exist; edges kept out rejoin the DAG, amortized, once locks
 *     on their cycles are destroyed): a feasible-cycle search, breadth-first over
 *     states (node, gates of the new edge still common, read mode) from the
 *     edge's target: O((V + E) * 2^g) for g <= CW_MAX_GATES gates on the new
 *     edge, bounded by CW_MAX_CYCLE edges and by an internal state budget.
 *     When the states found only close non-simple walks or already-reported
 *     node sets (or the state budget ran out), a depth-first search over
 *     simple paths with a fixed step budget follows; past it the cycle is
 *     not reported.  Only one cycle is reported per call.
 *     Skipped in O(1) when `from` has no incoming or `to` no outgoing edge.
 *   node_remove: O(degree).
 * Space: O(V + E) plus 8 bytes per reported cycle; node and edge records of
 * removed locks are reused.
 */
#ifndef CW_LOCK_ORDER_H
#define CW_LOCK_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lock_graph.h"

#define CW_MAX_GATES 8
#define CW_MAX_CYCLE 64

typedef struct cw_lock_order cw_lock_order;

typedef struct cw_edge_attrs {
    uint32_t from_stack, to_stack;  /* opaque stack ids: where `from` was taken,
                                       where `to` is being taken */
    uint32_t thread;                /* opaque id of the thread taking the edge */
    bool from_read;                 /* `from` is held in shared (read) mode */
    bool to_read;                   /* `to` is being acquired in shared mode */
    uint32_t ngates;
    cw_node gates[CW_MAX_GATES];    /* the OTHER locks held (not from, not to);
                                       the first CW_MAX_GATES if more.  0,
                                       from, to and duplicates are ignored. */
} cw_edge_attrs;

typedef struct cw_cycle_edge {
    cw_node from, to;
    cw_edge_attrs first;            /* attrs of the edge's first occurrence (gates:
                                       the distinct ones, not 0, not an end) */
} cw_cycle_edge;

/* edges[i].to == edges[i+1].from and edges[n-1].to == edges[0].from. */
typedef struct cw_cycle {
    size_t n;
    cw_cycle_edge edges[CW_MAX_CYCLE];
} cw_cycle;

typedef enum {
    CW_EDGE_KNOWN,      /* nothing changed (or the edge was ignored/dropped) */
    CW_EDGE_ADDED,      /* new edge, or its attributes widened; no new cycle */
    CW_EDGE_CYCLE       /* a feasible, never reported cycle through it: *out */
} cw_edge_result;

/* NULL when out of memory. */
cw_lock_order *cw_lock_order_new(void);
void cw_lock_order_free(cw_lock_order *lo);

/* A new lock; 0 when out of memory (0 is accepted and ignored everywhere). */
cw_node cw_lock_order_node_new(cw_lock_order *lo);

/* The lock is destroyed: forgets it and every edge into or out of it. */
void cw_lock_order_node_remove(cw_lock_order *lo, cw_node n);

/* A thread holding `from` does a BLOCKING acquire of `to`.  Returns KNOWN when
   nothing changed, ADDED when the edge is new or its attributes widened
   without a new feasible cycle, CYCLE when a feasible cycle through this edge
   exists whose node set was never reported: *out is then filled (the edge
   passed in is one of its edges; any rotation).  *out is untouched otherwise
   and may be NULL (then a found cycle still counts as reported). */
cw_edge_result cw_lock_order_add_edge(cw_lock_order *lo, cw_node from, cw_node to,
                                      const cw_edge_attrs *attrs, cw_cycle *out);

/* What an occurrence of the edge from->to must lack to change it: its gates
 * still common to all occurrences (at most max, written to gates[]; returns
 * how many), when neither end is read-only any more.  An occurrence holding
 * all of them changes nothing (add_edge returns KNOWN), and since gates only
 * ever go, that stays true until a node is removed.  -1 when there is no
 * such edge, an end is still read-only, or more than max gates are left. */
int cw_lock_order_edge_gates(const cw_lock_order *lo, cw_node from, cw_node to, cw_node *gates, int max);

size_t cw_lock_order_node_count(const cw_lock_order *lo);
size_t cw_lock_order_edge_count(const cw_lock_order *lo);

/* Replaces the stacks of the edge's first occurrence (a better capture of
 * the same acquisition); false when there is no such edge. */
bool cw_lock_order_set_first_stacks(cw_lock_order *lo, cw_node from, cw_node to, uint32_t from_stack,
                                    uint32_t to_stack);

#endif

/*
 * cw_lock_graph: a directed acyclic graph that refuses, at insertion time, any
 * edge that would close a cycle.  It is the "lock A was held while B was
 * acquired" order of a watched program, minus the edges that contradict it.
 *
 * Nodes are identified by 64-bit handles (cw_node) made of a dense slot index
 * and a version.  Removing a node frees its edges, bumps its slot's version and
 * lets a later node reuse the slot, so memory follows the number of live nodes,
 * not the number ever created.  A handle of a removed node never becomes valid
 * again: it simply reads as removed, and every call accepts it.  0 is never a
 * node.
 *
 * No internal locking: callers serialize every call (the shim holds one global
 * mutex).  No stdio, no abort: bad input is ignored, allocation failure leaves
 * the graph valid and is reported through return values.
 *
 * Cost model (V nodes, E edges):
 *   insert_edge of an edge already present: one hash lookup, O(1) expected.
 *   insert_edge of a new edge: O(1) when it agrees with the current
 *     topological order; otherwise O(affected region): the nodes whose rank
 *     lies between the two ends and that are reachable from / reach them
 *     (Pearce-Kelly dynamic topological sort, as in Abseil's GraphCycles).
 *   node_remove: O(degree).  has_edge: O(1) expected.
 *   find_path, check_invariants: O(V + E).
 * Space: O(V + E); a node with at most two edges in and two out owns no heap
 * memory.
 */
#ifndef CW_LOCK_GRAPH_H
#define CW_LOCK_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cw_lock_graph cw_lock_graph;

/* Version in the high 32 bits (never 0), slot index in the low 32 bits. */
typedef uint64_t cw_node;
#define CW_NO_NODE ((cw_node)0)

/* The slot index of a handle: small, dense, and reused by later nodes once
   this one is removed.  For callers' side tables indexed by node; always check
   liveness (or keep the full handle) before trusting such an entry. */
static inline uint32_t cw_lock_graph_node_index(cw_node n) { return (uint32_t)n; }

/* NULL when out of memory. */
cw_lock_graph *cw_lock_graph_new(void);
void cw_lock_graph_free(cw_lock_graph *g);

/* A fresh node with no edges; CW_NO_NODE when out of memory. */
cw_node cw_lock_graph_node_new(cw_lock_graph *g);

/* Removes the node and every edge into or out of it.  Removed or unknown
   handles are ignored. */
void cw_lock_graph_node_remove(cw_lock_graph *g, cw_node n);

bool cw_lock_graph_node_alive(const cw_lock_graph *g, cw_node n);
size_t cw_lock_graph_node_count(const cw_lock_graph *g);
size_t cw_lock_graph_edge_count(const cw_lock_graph *g);

/* Inserts from->to.  Returns true when the edge is in the graph afterwards
   (newly or already).  Returns false, leaving the graph unchanged, when the
   edge would close a cycle (including from == to) or memory ran out: callers
   that must not lose edges treat both the same way, as "not in the DAG".
   With a removed node nothing is inserted and true is returned: such an edge
   cannot close a cycle. */
bool cw_lock_graph_insert_edge(cw_lock_graph *g, cw_node from, cw_node to);

bool cw_lock_graph_has_edge(const cw_lock_graph *g, cw_node from, cw_node to);

/* Finds a path from -> ... -> to.  Returns the number of nodes on it (1 when
   from == to), or 0 when there is none, a node is removed, or memory ran out.
   The first min(result, max) nodes are stored in path[], starting with from;
   compare the result with max to know whether it was cut.  No node appears
   twice.  Not necessarily the shortest path. */
size_t cw_lock_graph_find_path(const cw_lock_graph *g, cw_node from, cw_node to,
                               size_t max, cw_node *path);

/* For tests only (O(V + E)): ranks are a permutation of the slots, every edge
   goes from a lower to a higher rank, in/out sets mirror each other, removed
   slots hold no edges, the counters are right.  Returns false on the first
   violation instead of crashing. */
bool cw_lock_graph_check_invariants(const cw_lock_graph *g);

#endif

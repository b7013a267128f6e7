/*
 * Known edges: what the lock-order graph last said about its edges, readable
 * by every thread without the graph lock.
 *
 * For an edge from -> to whose read flags are settled (both off), the graph
 * can tell which gates an occurrence must lack to change it (see
 * cw_lock_order_edge_gates).  When that is at most one lock, it is noted here;
 * a later occurrence that holds that lock (or any occurrence, when none is
 * left) changes nothing, and the thread skips the graph and its lock.  Gates
 * only ever go, so an older note asks for more than the graph does now: never
 * wrong, at worst one more trip to the graph.  Edges of removed locks are
 * never asked for again (node ids are not reused), so their notes just wait
 * to be overwritten.
 *
 * This is what keeps programs whose nestings outnumber the threads' own
 * caches off the graph lock: memcached takes its LRU and bump-buffer locks
 * under one of 4096 item locks, some 30 000 edges shared by all its workers.
 *
 * A fixed table of 65536 notes (1 MiB, mapped at the first note, touched as
 * used) in sets of four; a note may push out an older one.  Notes are written
 * under the graph lock and read without any lock (each is two words, checked
 * against a torn read).
 */
#ifndef CW_KNOWN_EDGES_H
#define CW_KNOWN_EDGES_H

#include <stdbool.h>
#include <stdint.h>

/* Under the graph lock: an occurrence of from -> to changes nothing unless it
 * lacks `gate` (0: it changes nothing at all). */
void cw_known_edge_put(uint64_t from, uint64_t to, uint64_t gate);

/* True when from -> to is noted; *gate is then the lock an occurrence must
 * hold not to change it (0: none). */
bool cw_known_edge_get(uint64_t from, uint64_t to, uint64_t *gate);

#endif

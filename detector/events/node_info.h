/*
 * What a report needs to know about a lock-order graph node: where the lock
 * lives, what kind it is, and where it was created (or first used).
 *
 * An array indexed by the node's slot in the lock graph (node ids are
 * lock_graph handles).  Callers serialize (the shim's graph lock); entries
 * are removed with their node when the lock is destroyed and the slot is
 * reused by the next node, so memory follows the number of live locks that
 * took part in nesting, not the number ever made.
 */
#ifndef CW_NODE_INFO_H
#define CW_NODE_INFO_H

#include <stdbool.h>
#include <stdint.h>

#include "stacks/stack_depot.h"

typedef struct cw_node_info {
    uint64_t node;
    uintptr_t addr;
    cw_stack_id stack;
    uint8_t kind;
    uint8_t py_type;     /* a CPython lock: Lock, RLock... (python/py_lock_types.h); 0 = none */
    bool created;        /* stack is where it was initialised (else: where first used) */
    uint32_t create_seq; /* order of its init among all inits (0: not seen) */
    bool nested_in_class;   /* taken inside a lock of its own class (predicted_cycles.c) */
    uint64_t class_key;  /* its lock class, 0 = none (predicted_cycles.c, set when the node is made) */
} cw_node_info;

bool cw_node_info_put(const cw_node_info *info);
const cw_node_info *cw_node_info_get(uint64_t node);
/* The same, to update in place (callers serialize, as for put). */
cw_node_info *cw_node_info_edit(uint64_t node);
void cw_node_info_remove(uint64_t node);

#endif

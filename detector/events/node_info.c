#include "node_info.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/lock_graph.h"

/* Indexed by the node's slot in the lock graph: slots are dense and reused
 * when locks are destroyed, so the array follows the number of live nodes
 * and every operation is one index. */
static cw_node_info *table;
static size_t cap;

static size_t slot_of(uint64_t node)
{
    return cw_lock_graph_node_index(node);
}

bool cw_node_info_put(const cw_node_info *info)
{
    size_t i = slot_of(info->node);
    if (i >= cap) {
        size_t ncap = cap ? cap : 1024;
        while (ncap <= i)
            ncap *= 2;
        cw_node_info *n = realloc(table, ncap * sizeof *n);
        if (!n)
            return false;
        memset(n + cap, 0, (ncap - cap) * sizeof *n);
        table = n;
        cap = ncap;
    }
    table[i] = *info;
    return true;
}

const cw_node_info *cw_node_info_get(uint64_t node)
{
    size_t i = slot_of(node);
    return node && i < cap && table[i].node == node ? &table[i] : NULL;
}

cw_node_info *cw_node_info_edit(uint64_t node)
{
    return (cw_node_info *)cw_node_info_get(node);
}

void cw_node_info_remove(uint64_t node)
{
    size_t i = slot_of(node);
    if (node && i < cap && table[i].node == node)
        table[i].node = 0;
}

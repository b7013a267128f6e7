#include "node_info.h"

#include <stdlib.h>

/* Open addressing with backward-shift deletion: no tombstones to pile up in
 * programs that create and destroy locks by the million. */
static cw_node_info *table;
static size_t cap, used;

static size_t home(uint64_t node, size_t c)
{
    return (size_t)((node * 0x9e3779b97f4a7c15ull) >> 20) & (c - 1);
}

static bool grow(void)
{
    size_t ncap = cap ? cap * 2 : 1024;
    cw_node_info *n = calloc(ncap, sizeof *n);
    if (!n)
        return false;
    for (size_t i = 0; i < cap; i++) {
        if (!table[i].node)
            continue;
        size_t j = home(table[i].node, ncap);
        while (n[j].node)
            j = (j + 1) & (ncap - 1);
        n[j] = table[i];
    }
    free(table);
    table = n;
    cap = ncap;
    return true;
}

bool cw_node_info_put(const cw_node_info *info)
{
    if ((used + 1) * 4 > cap * 3 && !grow())
        return false;
    size_t i = home(info->node, cap);
    while (table[i].node && table[i].node != info->node)
        i = (i + 1) & (cap - 1);
    if (!table[i].node)
        used++;
    table[i] = *info;
    return true;
}

const cw_node_info *cw_node_info_get(uint64_t node)
{
    if (!cap || !node)
        return NULL;
    for (size_t i = home(node, cap);; i = (i + 1) & (cap - 1)) {
        if (table[i].node == node)
            return &table[i];
        if (!table[i].node)
            return NULL;
    }
}

cw_node_info *cw_node_info_edit(uint64_t node)
{
    return (cw_node_info *)cw_node_info_get(node);
}

void cw_node_info_remove(uint64_t node)
{
    if (!cap || !node)
        return;
    size_t i = home(node, cap);
    while (table[i].node != node) {
        if (!table[i].node)
            return;
        i = (i + 1) & (cap - 1);
    }
    /* Backward-shift: move later entries of the probe run into the hole. */
    for (size_t j = (i + 1) & (cap - 1); table[j].node; j = (j + 1) & (cap - 1)) {
        size_t h = home(table[j].node, cap);
        bool between = (i <= j) ? (h > i && h <= j) : (h > i || h <= j);
        if (!between) {
            table[i] = table[j];
            i = j;
        }
    }
    table[i].node = 0;
    used--;
}

/*
 * The shadow state of Python variables: for each variable a program's
 * threads touch, its last write and its latest reads, each with its place in
 * the happens-before order (races/happens_before.h), and the check that
 * finds two of them unordered: FastTrack's (Flanagan & Freund, PLDI 2009),
 * with a few reads kept per variable instead of a read vector.
 *
 * A variable is (object, key, kind): a module's globals dict and a name, an
 * object and an attribute name, a dict and a key, a list and an index.
 * Names and keys are their hash (str, bytes, float, tuple), their value
 * (int), or the key object's address (anything else); a variable never
 * keeps its object alive.
 *
 * Objects die and their memory is reused: a variable must die with its
 * object, or a new object at the same address would inherit the old one's
 * accesses and race with them.  The object allocator is wrapped
 * (PyMem_SetAllocator of the object domain, as tracemalloc does: a hook
 * that calls the previous allocator) and dict's and list's deallocators
 * too (they keep freed objects on free lists, never freeing them): either
 * drops the variables of an object that goes.
 *
 * Everything here runs with the GIL held (GIL builds only: the checks are
 * off in a free-threaded build), so nothing is locked.
 */
#ifndef CW_PY_RACE_SHADOW_H
#define CW_PY_RACE_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "py_race_thread.h"
#include "races/happens_before.h"

typedef enum cw_pyr_var_kind {
    CW_PYR_VAR_GLOBAL = 1,   /* a module global (also `module.name`) */
    CW_PYR_VAR_ATTR,         /* an attribute of an object (or a class) */
    CW_PYR_VAR_ITEM,         /* a dict's key, a list's index */
} cw_pyr_var_kind;

/* One recorded access. */
typedef struct cw_pyr_access {
    cw_hb_epoch epoch;       /* 0: none */
    uint32_t thread;         /* the shim's thread index */
    cw_stack_id stack;       /* its Python stack */
    uint32_t lockset;        /* the locks held (py_race_thread.h), 0: none */
    uint8_t write;
    uint8_t atomic;          /* one indivisible operation (d.setdefault, d.pop): two such never race */
} cw_pyr_access;

#define CW_PYR_READS 3

typedef struct cw_pyr_cell {
    uintptr_t obj;
    uint64_t key;
    uint32_t next;           /* the bucket's next cell (1-based, 0: none) */
    uint32_t next_of_obj;    /* the object's next cell */
    uint8_t kind;            /* cw_pyr_var_kind */
    uint8_t reported;
    cw_pyr_access w;
    cw_pyr_access r[CW_PYR_READS];
} cw_pyr_cell;

/* Start-up (GIL held): memory, and the hooks that see objects go. */
bool cw_pyr_shadow_init(uint64_t max_cells);

/* The cell of a variable, made on first use (NULL when there is no room:
 * the variable is not checked); *new_object when the object had no
 * variable before. */
cw_pyr_cell *cw_pyr_cell_of(uintptr_t obj, uint64_t key, int kind, bool *new_object);
/* The same, trying first the cell *hint names (updated): where one place
 * of the code touches one variable again and again. */
cw_pyr_cell *cw_pyr_cell_hinted(uint32_t *hint, uintptr_t obj, uint64_t key, int kind, bool *new_object);
/* The variable's cell if it has one (never makes one). */
cw_pyr_cell *cw_pyr_cell_find(uintptr_t obj, uint64_t key, int kind);

extern cw_pyr_cell *cw_pyr_cells;
extern uint32_t cw_pyr_cells_used;

/* The cell *hint names, if it is the variable's (else NULL). */
static inline cw_pyr_cell *cw_pyr_cell_hint(uint32_t hint, uintptr_t obj, uint64_t key, int kind)
{
    if (!hint || hint > cw_pyr_cells_used)
        return NULL;
    cw_pyr_cell *c = &cw_pyr_cells[hint];
    return c->obj == obj && c->key == key && c->kind == kind ? c : NULL;
}

/* Nothing to do: the variable was reported, or the calling thread accessed
 * it the same way since its last synchronisation (FastTrack's same epoch). */
static inline bool cw_pyr_access_known(const cw_pyr_cell *c, cw_hb_epoch epoch, bool write, bool atomic)
{
    if (c->reported || (c->w.epoch == epoch && (!write || c->w.atomic == atomic)))
        return true;
    if (!write)
        for (int i = 0; i < CW_PYR_READS; i++)
            if (c->r[i].epoch == epoch && c->r[i].atomic == atomic)
                return true;
    return false;
}

/* Where an object the program made was created (the call of its class), if
 * seen: its first attribute set in its own __init__ tells. */
typedef struct cw_pyr_origin {
    uintptr_t code;
    int offset;
} cw_pyr_origin;
void cw_pyr_object_set_origin(uintptr_t obj, cw_pyr_origin origin);
cw_pyr_origin cw_pyr_object_origin(uintptr_t obj);

/* The calling thread accesses the cell's variable now, at `epoch`.  Records
 * it and returns false; or, when an earlier access of another thread is
 * ordered neither way with it (one of them a write, not both atomic),
 * copies that access to *earlier, this one to *now and returns true (once
 * per cell).  `frame`, `code`, `offset`: where, for the stack. */
bool cw_pyr_access_cell(cw_pyr_cell *c, cw_pyr_thread *pt, cw_hb_epoch epoch, bool write, bool atomic,
                        uintptr_t frame, uintptr_t code, int offset, cw_pyr_access *earlier,
                        cw_pyr_access *now);

/* fork(), in the child: every access recorded before is forgotten (the
 * threads that made them are gone, and the happens-before engine starts
 * afresh). */
void cw_pyr_shadow_after_fork_child(void);

/* How many variables are checked now (for the debug line). */
uint64_t cw_pyr_shadow_cells(void);

#endif

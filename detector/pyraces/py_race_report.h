/*
 * The `data-race` finding of the Python race checks: the variable named as
 * the program names it (`global 'total' of module __main__`, `attribute
 * 'balance' of an Account object created at bank.py:12`, `item 'apple' of
 * dict 'counts'`), both accesses with their Python stacks, which one
 * writes, their threads (T number and threading name) and the locks each
 * held (named by the launcher from where they were made).
 *
 * One finding per bug: a variable is reported once, and so are other
 * variables raced at the same two places (other keys of one dict, the same
 * attribute of other objects of one class).
 *
 * GIL held (names are read through the C API).
 */
#ifndef CW_PY_RACE_REPORT_H
#define CW_PY_RACE_REPORT_H

#include <stdbool.h>

#include "py_race_shadow.h"

typedef struct cw_pyr_var {
    int kind;           /* cw_pyr_var_kind */
    void *obj;          /* a module's globals dict, the object (or class), the container */
    void *name;         /* a global's or an attribute's name (str), or NULL */
    void *key;          /* an item's key, or NULL */
    const char *text;   /* the source text of the object or container ("self.counts"), or NULL */
    bool is_class;      /* the attribute is a class's */
} cw_pyr_var;

/* The helper's module_name() and short_repr() (py_race_helper.py). */
void cw_pyr_report_init(void *module_name_fn, void *short_repr_fn);

/* A race on var between an earlier access and the one being made now.
 * Written at once (the program may end any time), unless its bug was. */
void cw_pyr_report(const cw_pyr_var *var, const cw_pyr_access *earlier, const cw_pyr_access *now);

/* How many races were found (reported or folded into a reported one). */
unsigned cw_pyr_races_found(void);

#endif

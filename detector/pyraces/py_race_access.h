/*
 * One instruction about to run: which variable it touches, read or write,
 * and whether that is worth checking; then the check (py_race_shadow.h)
 * and, for a race, the report (py_race_report.h).
 *
 * The operands are read from the frame's value stack before the
 * instruction runs: the object of an attribute access, the container and
 * key of a subscript, the callable and arguments of a call.  What is
 * checked:
 *   - globals (LOAD/STORE/DELETE_GLOBAL; LOAD/STORE_NAME at module level)
 *     and `module.name`, as the module's global;
 *   - attributes of objects whose class keeps them plainly (the generic
 *     getattr/setattr, not a property or another data descriptor but
 *     __slots__ members): not threading.local's (per thread), nor a
 *     proxy's, whose own code is checked instead; class attributes;
 *   - items of dicts and lists (and subclasses that keep their subscript),
 *     by key or index, `key in d`, and d.get / setdefault / pop /
 *     __getitem__ / __setitem__ / __delitem__ / __contains__ (setdefault
 *     and pop are indivisible updates: two of them never race).
 * Not: names bound to functions, classes, modules and locks (a load of
 * such a global is a use of a definition: the place is not looked at
 * again), builtins, locals, and what runs in C code.
 *
 * GIL held.
 */
#ifndef CW_PY_RACE_ACCESS_H
#define CW_PY_RACE_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "py_race_decode.h"

/* Start-up (GIL held, after cw_pyr_api_init): the dict methods and types
 * told apart.  False when something is missing. */
bool cw_pyr_access_init(void);

/* The instruction `e` at byte offset `offset` of `code` is about to run in
 * the calling thread, in `frame` (the layout's frame), whose value stack
 * ends at `sp` (one past the top).  True when nothing at this place will
 * ever need looking at again (3.12+: the callback may DISABLE it). */
bool cw_pyr_on_instruction(cw_pyr_entry *e, uintptr_t code, int offset, uintptr_t frame, void **sp);

/* The self-test (py_race_helper.py's probe): while on, accesses to the two
 * objects are counted instead of checked. */
void cw_pyr_probe_begin(void *obj, void *dict);
/* How many of the probe's four accesses were seen as expected. */
int cw_pyr_probe_end(void);

#endif

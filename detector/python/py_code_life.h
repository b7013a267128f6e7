/*
 * Code objects die, and the allocator may make the next one at a dead one's
 * address: a module's body is freed once imported, code made by exec() or
 * compile() goes with its last function.  A cache keyed by a code object's
 * address (and an instruction offset) would then answer for a code object
 * it never saw: another file, another line, another kind of lock.
 *
 * So a code object a cache remembers is tracked first: it gets a mark in a
 * code-extra slot of the shim's own, whose free function CPython calls when
 * the code object is deallocated, and which counts those deaths.  A cache
 * entry keeps the count it was filled under and is valid while the count
 * has not moved (a death anywhere clears every such cache at once: deaths of
 * code that took or made locks are rare).
 */
#ifndef CW_PY_CODE_LIFE_H
#define CW_PY_CODE_LIFE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Deaths of tracked code objects so far. */
extern _Atomic uint32_t cw_py_code_deaths;

static inline uint32_t cw_py_code_deaths_now(void)
{
    return atomic_load_explicit(&cw_py_code_deaths, memory_order_relaxed);
}

/* GIL held.  False for a code object that must not be written to: 3.13's
 * _Py_InitCleanup, the shim frame under an __init__ called by a specialized
 * class call, is a static code object in read-only memory (it is the one
 * that says CO_NO_MONITORING_EVENTS), and setting a code-extra slot writes
 * into the object. */
bool cw_py_code_writable(void *code);

/* GIL held (cw_py_holds_gil).  Tracks the code object: true when its death
 * will be counted.  False when it cannot be (an API function is missing, no
 * code-extra slot is free, or this is not the main interpreter, whose slot
 * index another interpreter does not share): then what was learnt of it
 * must not be kept.  Keeps the program's pending exception. */
bool cw_py_code_track(void *code);

#endif

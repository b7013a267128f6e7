/*
 * Hand-overs between threads that synchronise through the GIL alone, with
 * no lock the shim sees: queue.SimpleQueue (C; what ThreadPoolExecutor
 * hands its work items to its workers through).  A put() that finds a
 * getter waiting posts the getter's lock, but a get() that finds items
 * takes none: without more, what a thread did before put() would look
 * unordered with what the getter does after get(), depending on whether the
 * getter had to wait.  Its put/put_nowait are made releases and its
 * get/get_nowait acquires of the queue (races/happens_before.h), by
 * wrapping the C functions their method descriptors call (the module's
 * PyMethodDef entries, written only when they are writable).  And 3.13's
 * thread handles: is_done() saying yes (Thread.is_alive() saying no) orders
 * the ended thread's work before the caller's next steps, as a join.
 *
 * GIL held.
 */
#ifndef CW_PY_RACE_HANDOFFS_H
#define CW_PY_RACE_HANDOFFS_H

#include <stdbool.h>

/* Wraps what can be wrapped; false when queue.SimpleQueue's or the thread
 * handle's methods are not as expected (the debug line says which). */
bool cw_pyr_handoffs_init(void);

#endif

/*
 * Python data races (issue 11): where the checks start in a CPython
 * process, and how they see every access the program's threads make.
 *
 * `concwatch python3 app.py` reports a `data-race` when two threads touch
 * one Python variable (a module global, an attribute, a dict's key, a
 * list's index), one of them writing, with no happens-before between the
 * two accesses: no lock held at both (a lock release -> acquire orders
 * them), no Thread.start / join, Queue put -> get, Event set -> wait,
 * Condition notify -> wait, Barrier, Semaphore release -> acquire.  It is
 * judged on the order of the program's operations (vector clocks, fed by
 * the shim's interceptors: races/happens_before.h), not on whether this
 * run's interleaving lost an update, so a GIL build reports what a
 * free-threaded one would.  py_race_access.h says which accesses count.
 *
 * Started once per process, in the main thread, holding the GIL, before
 * the program's own code runs: from Py_RunMain (interposed: pyenv's and
 * other --enable-shared builds call it through the PLT), else from the
 * first semaphore operation made with the GIL held (Debian's python3 is one
 * executable that calls it directly), through a pending call.  Then:
 *   - 3.12, 3.13: sys.monitoring, per interpreter (every thread): a C
 *     callback for INSTRUCTION events, which returns DISABLE wherever
 *     nothing is ever to be checked, so that only the accesses of the
 *     program's own code call back; PY_START checks, once per code object,
 *     that the stack depths the decoder computed are the interpreter's;
 *   - 3.10, 3.11: a C trace function (PyEval_SetTrace) per thread, from
 *     PyEval_AcquireThread (interposed: a new thread's first step) or its
 *     first semaphore operation, with opcode events on in frames of code
 *     that has accesses.
 * A self-test (accesses to known objects) must be seen right before the
 * checks count.
 *
 * Stepping aside: on 3.10 and 3.11 one trace function per thread exists; a
 * program that installs its own (a debugger, coverage.py: sys.settrace,
 * seen by an audit hook) gets it and that thread is not checked any more
 * (one line says so).  On 3.12+ a program that asks for concwatch's
 * sys.monitoring tool id gets it and the checks end (one line).
 *
 * Off: CONCWATCH_RACES=0; not a GIL build of 3.10-3.13; direct reads of
 * the interpreter's frames off (CONCWATCH_PYTHON_DIRECT=0, unknown layout):
 * one line says why.
 */
#ifndef CW_PY_RACE_INSTALL_H
#define CW_PY_RACE_INSTALL_H

#include <stdbool.h>
#include <stdint.h>

/* This is a CPython process whose race checks may still start in a thread
 * (hidden: read on the semaphore path). */
extern __attribute__((visibility("hidden"))) bool cw_pyr_wanted;
/* The calling thread needs nothing more from the semaphore path. */
extern __thread uint8_t cw_pyr_thread_done __attribute__((tls_model("initial-exec")));

/* Shim start-up (constructor), in a CPython process. */
void cw_py_races_init(void);

/* Py_RunMain is about to run the program (main thread, GIL held). */
void cw_py_races_run_main(void);
/* The calling thread has just taken the GIL in PyEval_AcquireThread. */
void cw_py_races_thread_acquired(void);

void cw_py_races_semaphore_slow(void);

/* A semaphore operation of the calling thread (the interceptors, inside
 * the shim): where the checks start when nothing above was interposable. */
static inline void cw_py_races_at_semaphore(void)
{
    if (__builtin_expect(cw_pyr_wanted && !cw_pyr_thread_done, 0))
        cw_py_races_semaphore_slow();
}

/* fork(), in the child. */
void cw_py_races_after_fork_child(void);

#endif

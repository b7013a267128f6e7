/*
 * Python stacks of a CPython program's threads, for reports about a hung
 * program.
 *
 * Uses what faulthandler uses: CPython's exported _Py_DumpTracebackThreads,
 * which walks every thread state without taking the GIL — it is written to
 * run from a watchdog thread while the interpreter is stuck, which is exactly
 * our case.  Its text ("Thread 0x... (most recent call first):" then
 * 'File "f.py", line N in func' lines) is captured in a memfd and parsed;
 * CPython's thread ident is the thread's pthread_t, which maps it to ours.
 */
#ifndef CW_PYTHON_STACKS_H
#define CW_PYTHON_STACKS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "../events/record_writer.h"

typedef struct cw_python_stacks {
    char *text;
    size_t len;
} cw_python_stacks;

/* False when this is not a CPython process (or the dump failed). */
bool cw_python_stacks_dump(cw_python_stacks *out);
/* Appends a stack record with the Python frames of `thread`; false if it has none. */
bool cw_python_stacks_record(const cw_python_stacks *py, pthread_t thread, cw_record *r,
                             const char *thread_label, const char *role);
void cw_python_stacks_free(cw_python_stacks *py);
/* File and function of `thread`'s innermost Python frame; false if none. */
bool cw_python_stacks_top(const cw_python_stacks *py, pthread_t thread, char *file, size_t file_size,
                          char *function, size_t function_size);

/* The calling thread's Python stack right now (it must hold the GIL, as a
 * thread taking a Python lock does), interned: the id has
 * CW_PYTHON_STACK_BIT set and is accepted by the record writer wherever a
 * native stack id is.  0 when this is not CPython or there are no frames. */
#define CW_PYTHON_STACK_BIT 0x80000000u
cw_stack_id cw_python_stack_capture(void);
/* Writes the pyframe records of an interned Python stack. */
void cw_python_stack_record(cw_record *r, cw_stack_id id);
bool cw_python_present(void);

/* Resolves the interpreter entry points used below; false outside CPython. */
bool cw_python_init(void);
struct cw_thread;
/* The Python stack of the calling thread's current acquire site, cached per
 * thread by (code object, bytecode offset) so that only the first acquire at
 * a site pays for the dump.  0 when the thread does not hold the GIL (its
 * frames cannot be read safely then) or has no Python frame.
 * *nonblocking tells whether the Python call at that site is a
 * non-blocking acquire (acquire(False), acquire(blocking=False),
 * acquire(timeout=0)): CPython makes the same sem_trywait for those as for a
 * blocking acquire of a free lock, so only the bytecode tells them apart.
 * *thread_lifetime (may be NULL): the site is threading's own acquire of the
 * lock a thread holds for its whole life (Thread._set_tstate_lock). */
cw_stack_id cw_python_site_stack(struct cw_thread *t, bool *nonblocking, bool *thread_lifetime);

#endif

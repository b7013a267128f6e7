/*
 * Reading the Python call a frame is making, from its bytecode: is this
 * lock.acquire(False), acquire(blocking=False), acquire(timeout=0)?
 *
 * CPython's Lock.acquire makes the same native calls whether it may wait or
 * not (a sem_trywait first, which succeeds on a free lock): only the call's
 * arguments tell a try from a blocking acquire.  They are read from the
 * frame's code at its current instruction, as `dis` decodes it for that
 * version (co_code: base opcodes, no specialisation, inline caches as CACHE
 * units, EXTENDED_ARG prefixes), with one opcode table per version:
 *
 *   3.10  LOAD_METHOD acquire, LOAD_CONST..., CALL_METHOD n
 *         LOAD_ATTR acquire, LOAD_CONST..., LOAD_CONST ('kw',), CALL_FUNCTION_KW n
 *   3.11  LOAD_METHOD acquire, LOAD_CONST..., [KW_NAMES k], PRECALL n, CALL n
 *   3.12  LOAD_ATTR acquire, LOAD_CONST..., [KW_NAMES k], CALL n
 *   3.13  LOAD_ATTR acquire, LOAD_CONST..., [LOAD_CONST ('kw',)], CALL n / CALL_KW n
 *
 * Only a call spelled entirely with constants, right after the load of a
 * callable named acquire (or acquire_lock), is read: anything computed, or
 * any other shape, counts as blocking, as before this decoder existed.  A
 * version without a table gets that answer for every call, and one line on
 * stderr.  The caller holds the GIL.
 */
#ifndef CW_PY_BYTECODE_H
#define CW_PY_BYTECODE_H

#include <stdbool.h>
#include <stdint.h>

/* The call at byte offset `lasti` of `code` never waits: acquire(blocking=<false>)
 * or acquire(timeout=0), written with constants. */
bool cw_py_call_is_nonblocking_acquire(uintptr_t code, int lasti);

#endif

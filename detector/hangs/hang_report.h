/*
 * The finding about a program that hangs: every blocked thread's stack (and
 * Python stack), what it waits on and who holds that, where the holders took
 * it; then the program is ended.
 */
#ifndef CW_HANG_REPORT_H
#define CW_HANG_REPORT_H

#include <stddef.h>

#include "blocked.h"

/* Reports the hang and ends the program with CW_EXIT_FINDINGS.  `ring`:
 * the threads of a wait-for cycle, in order (nring of them), or NULL when
 * every thread of `all` (n of them) is blocked for good. */
__attribute__((noreturn)) void cw_hang_report(cw_blocked *all, size_t n, cw_blocked **ring, size_t nring);

/* Each blocked thread captures its own stack (a signal: it sleeps in the
 * kernel); then cw_hang_user_frames gives it, from the user's call into the
 * shim outwards (just the call site if the thread did not answer). */
void cw_hang_capture_stacks(cw_blocked *all, size_t n);
size_t cw_hang_user_frames(const cw_blocked *b, const uintptr_t **pcs);

#endif

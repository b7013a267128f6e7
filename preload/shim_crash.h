/*
 * A crash inside the shim is concwatch's own, and is reported as such.
 *
 * Handlers for the synchronous faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE) are
 * installed at start-up.  A fault whose instruction is in the tool's code
 * (this shim, or the unwinder and DWARF libraries it uses) or that happens
 * on one of the shim's own threads writes a `crash` status record with the
 * stack (record_format.h) and one line on stderr, and turns the shim off;
 * the launcher then reports it as an internal error of concwatch.  Every
 * fault, ours or the program's, then goes on as it would have without us:
 * the handler that was there before ours is put back and the fault happens
 * again (a signal sent by kill() is sent again), so the program dies of it
 * or handles it as natively.  A program that installs a handler of its own
 * for these signals replaces ours, as it would any other.
 *
 * Limits: a fault inside a C library function called by the shim (memcpy
 * on a bad pointer) counts as the program's; a bad pointer the program
 * passed to a lock function crashes in the shim's wrapper, which reads the
 * lock before glibc would, and is reported as the shim's (with the
 * program's call in its stack).
 */
#ifndef CW_SHIM_CRASH_H
#define CW_SHIM_CRASH_H

void cw_shim_crash_handler_install(void);

#endif

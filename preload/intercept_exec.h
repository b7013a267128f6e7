/*
 * exec and posix_spawn of programs the shim cannot follow (intercept_exec.c).
 */
#ifndef CW_INTERCEPT_EXEC_H
#define CW_INTERCEPT_EXEC_H

/* Looks up the real exec functions (at start-up: never in a vfork child). */
void cw_exec_init(void);

#endif

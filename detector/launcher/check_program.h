/*
 * Checking PROGRAM before running it, so that the user's mistakes get one
 * clear line instead of a confusing failure inside the child:
 *
 *   not found (no such file, or not on PATH)         exit 127 (like the shell)
 *   not executable (no x permission, a directory)    exit 126 (like the shell)
 *   a statically linked ELF executable (no PT_INTERP): exit 2, since nothing
 *     can be preloaded into it and concwatch would silently see nothing.
 *
 * PATH is searched like execvp(3): names with a '/' are used as they are;
 * otherwise each PATH entry in turn (an empty entry is "."; no PATH at all
 * means the system default), and a match that is not executable only counts
 * if nothing later is.  Scripts ("#!") and other non-ELF files pass: their
 * interpreter is dynamically linked in practice, and execvp runs a file
 * without "#!" with /bin/sh.
 */
#ifndef CW_CHECK_PROGRAM_H
#define CW_CHECK_PROGRAM_H

#include <stddef.h>

typedef enum cw_program_status {
    CW_PROGRAM_OK,
    CW_PROGRAM_NOT_FOUND,
    CW_PROGRAM_NOT_EXECUTABLE,
    CW_PROGRAM_STATIC,
} cw_program_status;

/* On CW_PROGRAM_OK, *path is the malloc'd file to execute; otherwise *path is
   NULL and why holds one line (without "concwatch: "). */
cw_program_status cw_check_program(const char *name, char **path, char *why, size_t whylen);

/* 0, 127, 126 or 2, as listed above. */
int cw_program_status_exit_code(cw_program_status status);

#endif

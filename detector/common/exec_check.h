/*
 * Whether a program that is about to be executed can be watched: the shim
 * is preloaded by the dynamic loader, so a statically linked program never
 * loads it, and the loader ignores LD_PRELOAD from another directory when it
 * runs a program in secure mode (set-user-ID or set-group-ID to someone
 * else, or with file capabilities).  Used by the launcher for the program it
 * starts, and by the shim for every exec in the program's tree.
 * Async-signal-safe, no malloc (it runs in vfork children).
 */
#ifndef CW_EXEC_CHECK_H
#define CW_EXEC_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* An executable ELF (ET_EXEC or ET_DYN) without PT_INTERP: nothing loads
 * shared objects into it.  False for anything else (exec decides). */
bool cw_elf_is_static(const char *path);

/* Why `path` will run without the shim ("statically linked", "set-user-ID
 * ...", ...), written to why; false when it will be watched (or cannot be
 * told).  A script is judged by its interpreter ("#!"). */
bool cw_exec_unwatched(const char *path, char *why, size_t whylen);

/* The file execvp() would run for `file` (searched in PATH when it has no
 * '/'), into out; false if none is found. */
bool cw_exec_search(const char *file, char *out, size_t outlen);

#endif

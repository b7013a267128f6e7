/*
 * How paths are shown in reports.  Files are kept in the model as DWARF gives
 * them (usually absolute); the renderers shorten them here.
 */
#ifndef CW_PATHS_H
#define CW_PATHS_H

#include <stdbool.h>

/* file relative to base_dir when it lies strictly under it ("/src/a.c" under
   "/src" -> "a.c"), else file itself.  Purely lexical: no symlinks, no "..".
   Returns a pointer into file (or file); NULL stays NULL. */
const char *cw_display_path(const char *file, const char *base_dir);

/* file as an absolute path, malloc'd: a relative one is taken from cwd; "."
   and ".." components and repeated '/' are resolved lexically (no symlinks).
   NULL when file is NULL, or relative with no absolute cwd. */
char *cw_absolute_path(const char *file, const char *cwd);

/* The part after the last '/' ("" stays ""); NULL stays NULL. */
const char *cw_basename(const char *path);

/* True for the C runtime, the dynamic loader, the Python interpreter and
   concwatch's own shim: modules whose frames are plumbing, not the user's
   code (judged by the file name only). */
bool cw_is_runtime_module(const char *module);

#endif

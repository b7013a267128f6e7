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

/* The part after the last '/' ("" stays ""); NULL stays NULL. */
const char *cw_basename(const char *path);

/* True for the C runtime, the dynamic loader, the Python interpreter and
   concwatch's own shim: modules whose frames are plumbing, not the user's
   code (judged by the file name only). */
bool cw_is_runtime_module(const char *module);

#endif

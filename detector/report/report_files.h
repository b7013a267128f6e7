/*
 * The report directory: the launcher's private directory where every process
 * of the run writes its own files, named "<prefix><pid>" (the shim's
 * findings.<pid>, ThreadSanitizer's tsan.<pid>).  They are read back oldest
 * first, so findings come out in the order they were written.
 */
#ifndef CW_REPORT_FILES_H
#define CW_REPORT_FILES_H

#include <stddef.h>

/* One file's whole text and the pid its name ends with (0 when the name is
 * not "<prefix><pid>"); returns how many findings it added. */
typedef size_t (*cw_report_file_fn)(const char *text, size_t len, long pid, void *ctx);

/* Calls fn for every regular file directly in dir whose name starts with
 * prefix, oldest first (modification time, then name); files that cannot be
 * read are skipped.  Returns the sum of fn's results, -1 when dir cannot be
 * opened. */
long cw_for_each_report_file(const char *dir, const char *prefix, cw_report_file_fn fn, void *ctx);

#endif

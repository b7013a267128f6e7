/*
 * Reading the shim's findings files (record_format.h) into a cw_finding_list.
 *
 * Robustness rules (the writer is a program that may be killed at any time,
 * and a newer shim may write records this launcher does not know yet):
 *   - a line counts only once its '\n' is there: a last line without one may
 *     be cut mid-field (e.g. half an address), so it is ignored;
 *   - unknown tags, empty lines and records outside a finding are ignored;
 *   - missing fields become NULL (or 0); a frame whose address does not parse
 *     is dropped; a missing r/i flag means 'r' (unwound frames are return
 *     addresses); frames before any lock/stack line go to a stack with no
 *     thread and no role;
 *   - a finding not closed by `end` (EOF or the next `finding` came first) is
 *     kept only if it has a stack with at least one frame, which is what makes
 *     it actionable; it gets a note saying its record was cut short.
 *     Otherwise it is dropped.
 *
 * Not thread-safe in any interesting way: one caller, one list.
 */
#ifndef CW_FINDING_READER_H
#define CW_FINDING_READER_H

#include <stddef.h>

#include "finding.h"

/* Note attached to a kept finding whose `end` never came. */
#define CW_TRUNCATED_NOTE "the record of this finding was cut short (the program was killed while writing it?)"

/* Parses one record stream (buf need not be NUL-terminated) and appends its
   findings to *out, each with the given pid (0 if unknown).  Returns how many
   findings were appended. */
size_t cw_parse_records(const char *buf, size_t len, long pid, cw_finding_list *out);

/* Reads every regular file named "findings.*" in dir, oldest mtime first (ties
   by name), so a run's findings come out in a stable order; the pid is taken
   from the name ("findings.<pid>", 0 if the suffix is not a number).  Files
   that cannot be read are skipped.  Returns the number of findings appended,
   or -1 with errno set if dir itself cannot be read. */
long cw_read_findings_dir(const char *dir, cw_finding_list *out);

#endif

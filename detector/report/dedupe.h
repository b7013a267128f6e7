/*
 * Dropping repeated findings.  The shim reports each bug once per process,
 * but a forked child inherits its parent's lock history and may report the
 * same bug again; the user should see it once.  Two findings are the same
 * when kind, message, every lock (id, type, frames) and every stack (thread,
 * role, frames) are equal; the pid is ignored.  Frames compare as recorded
 * (module + vaddr, or the Python file/line/function), so this can run before
 * symbolization.  The first occurrence (in reading order) is kept.
 */
#ifndef CW_DEDUPE_H
#define CW_DEDUPE_H

#include <stddef.h>

#include "finding.h"

/* Removes (and frees) repeats; returns how many. */
size_t cw_finding_list_dedupe(cw_finding_list *list);

#endif

/*
 * Dropping repeated findings.  The shim reports each bug once per process,
 * but a forked child inherits its parent's lock history and may report the
 * same bug again; the user should see it once.  Two findings are the same
 * when kind, message, every lock (id, type, frames) and every stack (thread,
 * role, frames) are equal; the pid is ignored.  The first occurrence (in
 * reading order) is kept.
 *
 * Frames: two frames that are both symbolized (a function or a file: Python
 * frames always, native ones once the symbolizer ran) are the same when
 * function, line, the file's base name and the inlined flag are; two that are
 * not, when module and address are.  So the launcher's dedupe runs before
 * symbolization on recorded addresses, and the same key folds the JSON
 * reports of other runs and machines (merge.h), whose module paths differ
 * (another build directory) while the code they name does not.
 */
#ifndef CW_DEDUPE_H
#define CW_DEDUPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"

/* Removes (and frees) repeats; returns how many. */
size_t cw_finding_list_dedupe(cw_finding_list *list);

/* The rule above, and a hash that agrees with it (equal findings hash equal). */
bool cw_same_finding(const cw_finding *a, const cw_finding *b);
uint64_t cw_finding_hash(const cw_finding *f);

#endif

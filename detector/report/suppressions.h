/*
 * Suppressions: known findings the user does not want to see, in
 * ThreadSanitizer's file format, one rule a line:
 *
 *     # comment                       (blank lines are ignored too)
 *     deadlock:legacy_transfer        kind:pattern
 *     race:third_party/
 *
 * Kinds: "deadlock" covers self-deadlock, lock-order-inversion and deadlock;
 * "race" is data-race; "race_top" is data-race matched against each stack's
 * first frame only; "mutex" and "misuse" are misuse; every concwatch kind
 * name stands for itself.  TSan-only kinds ("thread", "signal",
 * "called_from_lib") are accepted and never match, so a TSan file can be
 * shared.  Anything else is an error.
 *
 * A pattern matches a frame when it matches the frame's function, source file
 * or module path, as a substring (like TSan), where '*' matches any run of
 * characters, a leading '^' anchors at the start and a trailing '$' at the
 * end.  A rule suppresses a finding of its kind when it matches any frame of
 * any of its stacks or lock-creation stacks, so apply rules after
 * symbolization.
 */
#ifndef CW_SUPPRESSIONS_H
#define CW_SUPPRESSIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "finding.h"

typedef struct cw_suppressions cw_suppressions;

/* Parses rules from text (need not be NUL-terminated).  On a bad line returns
   NULL and puts "line N: why" into err. */
cw_suppressions *cw_suppressions_parse(const char *text, size_t len, char *err, size_t errlen);

/* Reads and parses a file; on error returns NULL with a message in err
   ("FILE: No such file..." or "FILE:N: why"). */
cw_suppressions *cw_suppressions_load(const char *path, char *err, size_t errlen);

void cw_suppressions_free(cw_suppressions *sup);

size_t cw_suppressions_count(const cw_suppressions *sup);

bool cw_suppressions_match(const cw_suppressions *sup, const cw_finding *f);

/* Removes (and frees) every matching finding; returns how many. */
size_t cw_suppressions_apply(const cw_suppressions *sup, cw_finding_list *list);

/* The pattern rule above, for one string (exposed for tests). */
bool cw_pattern_match(const char *pattern, const char *s);

#endif

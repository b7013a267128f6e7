/*
 * Reading a concwatch JSON report back (the shape render_json.h writes, from
 * this version or an older one) into findings, for `concwatch merge`
 * (merge.h).  Parsed with json-c.
 *
 * Frames come back symbolized as written: function, file (as the report
 * shows it: relative to its source root when under it), line, module, the
 * "offset" as vaddr, the inlined and python flags.  Locks keep their name and
 * description; a finding keeps its pid, and its runs and processes when the
 * report was itself a merge.  Fields this reader does not know are ignored
 * (newer reports); a missing field is NULL / 0.
 *
 * A file that is not JSON, or not an object with "tool": "concwatch" and a
 * "findings" array, is refused with a message.
 */
#ifndef CW_JSON_READER_H
#define CW_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>

#include "finding.h"

/* Appends the report's findings to *out and adds its "suppressed" count to
   *suppressed.  On error returns false with one line in err ("FILE: why"),
   leaving *out as it was. */
bool cw_read_json_report(const char *path, cw_finding_list *out, size_t *suppressed, char *err,
                         size_t errlen);

#endif

/*
 * A ThreadSanitizer report, split into sections (tsan_report_parse.h) ->
 * a concwatch finding.
 *
 * What becomes what:
 *   data race, data race on vptr, heap-use-after-free (virtual call vs
 *   free), race on an external object
 *                     -> `data-race`: one stack per access (thread, read or
 *                        write, mutexes held), the variable in the message
 *                        when TSan names it ("global 'hits' (8 bytes)"), or
 *                        the heap block / stack / TLS / fd it lies in; the
 *                        mutexes TSan lists become the finding's locks, and
 *                        the roles name the held ones that are global objects
 *                        ("holding M7 (control_lock)", from the module's
 *                        symbol table).  One finding per named global
 *                        variable and process (TSan reports each racing
 *                        pair of lines or fields; the first is kept), as
 *                        the watchpoint sampler does.
 *   lock-order-inversion, any mutex misuse
 *                     -> dropped: concwatch's shim reports those itself (the
 *                        launcher also turns them off in TSan), so a TSan
 *                        build never gets them twice.
 *   anything else (thread leak, signal-unsafe call in a signal handler, ...)
 *                     -> `misuse`, with TSan's description and stacks: TSan
 *                        alone would have failed the run for it.
 *
 * Frames inside concwatch's shim (libconcwatch*) and inside libtsan are
 * removed from every stack, so stacks and the summary start at the user's
 * code.  A report whose access was made by the shim's own code (the first
 * frame below libtsan is in the shim and is not one of the pthread_* / sem_*
 * functions it forwards for the program) is the shim's doing, not the
 * program's, and is dropped.
 *
 * A report cut short (no closing separator) is kept only if one of its
 * stacks has a frame, with CW_TRUNCATED_NOTE.  TSan's thread numbers, which
 * count concwatch's own helper threads, become concwatch's labels of the
 * same threads (tsan_thread_names.h).  Not reentrant: the launcher converts
 * one report at a time.
 */
#ifndef CW_TSAN_FINDINGS_H
#define CW_TSAN_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "finding.h"
#include "tsan_report_parse.h"

/* The named global variables one log already has a race finding for. */
typedef struct cw_tsan_raced_globals {
    char **names;
    size_t n;
} cw_tsan_raced_globals;

/* Appends r's finding to *out, with the given pid, unless the report is one
 * that is dropped (see above), or a race on a variable already in *seen (a
 * race on a named global adds it there).  thread_ids: the text of the shim's
 * threads.<pid> of that process (NUL-terminated; NULL if none).  r->sym, when
 * set, names the global objects that are the mutexes TSan lists by address.
 * Returns true if a finding was appended. */
bool cw_tsan_report_to_finding(const cw_tsan_report *r, long pid, const char *thread_ids,
                               cw_tsan_raced_globals *seen, cw_finding_list *out);

/* Frees the names and empties *seen. */
void cw_tsan_raced_globals_free(cw_tsan_raced_globals *seen);

#endif

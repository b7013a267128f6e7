/*
 * ThreadSanitizer's reports -> concwatch findings, for programs built with
 * -fsanitize=thread.
 *
 * How the reports get here (see tsan_options.h): the launcher asks TSan,
 * through TSAN_OPTIONS, to write its reports to "<report dir>/tsan.<pid>"
 * (log_path: one file per process, as the shim's findings.<pid>) with frames
 * in a tab-separated format of our own (stack_trace_format =
 * CW_TSAN_FRAME_FORMAT: module path, offset in the module, function, file,
 * line).  These are TSan's own files, written by TSan the moment it finds a
 * bug, never the program's terminal output; TSan symbolizes in-process, so
 * function/file/line are taken from it, and the frame's module + offset stay
 * for anything TSan could not name (the launcher's symbolizer then tries).
 *
 * A log is read in three steps: here, the reports are found in it (between
 * "==================" separators, from TSan's WARNING line on);
 * tsan_report_parse.h splits each into its sections and frames;
 * tsan_findings.h turns it into a concwatch finding (data-race or misuse),
 * or drops it (lock reports, which the shim makes itself, and reports of the
 * shim's own doing).
 *
 * Lines of a log that are not part of a report (TSan's fatal errors, crash
 * reports "==pid==ERROR: ThreadSanitizer: SEGV ...", warnings) are copied to
 * the passthrough stream, so the user still sees them; only TSan's closing
 * "ThreadSanitizer: reported N warnings" is left out.
 *
 * Robustness: as for the shim's records, a last line without '\n' is
 * ignored (it may be cut mid-field); a report cut short (no closing
 * separator) is kept only if one of its stacks has a frame, with
 * CW_TRUNCATED_NOTE; unknown section lines are ignored; TSan's default frame
 * format ("#0 func file:line (module+0xoff)") is understood too, with the
 * module's base name only.
 */
#ifndef CW_TSAN_REPORTS_H
#define CW_TSAN_REPORTS_H

#include <stdio.h>

#include "finding.h"

/* TSan writes "<report dir>/" CW_TSAN_LOG_PREFIX ".<pid>". */
#define CW_TSAN_LOG_PREFIX "tsan"

/* The frame format asked of TSan: %n frame number, %p the frame's address in
   the process, %m module path, %o offset in the module of the call
   instruction (TSan symbolizes pc-1), %f function, %s source file, %l line;
   unknown values print as "<null>" (or 0).  %p and %o together give each
   module's load address, which names the mutexes TSan lists by address. */
#define CW_TSAN_FRAME_FORMAT "    #%n\t%p\t%m\t%o\t%f\t%s\t%l"

/* Parses one TSan log (buf need not be NUL-terminated) and appends its
   findings to *out, each with the given pid.  thread_ids: the text of the
   shim's threads.<pid> of that process (NUL-terminated; NULL if none): TSan's
   thread numbers, which count concwatch's own helper threads, become
   concwatch's labels of the same threads (matched by kernel tid).  Lines
   outside reports go to passthrough (NULL: dropped).  Returns how many
   findings were appended. */
size_t cw_parse_tsan_log(const char *buf, size_t len, long pid, const char *thread_ids, cw_finding_list *out,
                         FILE *passthrough);

/* Reads every regular file "tsan.<pid>" in dir, oldest first, with the
   shim's "threads.<pid>" next to it.  Returns the number of findings
   appended, or -1 with errno set if dir cannot be read. */
long cw_read_tsan_reports(const char *dir, cw_finding_list *out, FILE *passthrough);

#endif

/*
 * The TSAN_OPTIONS concwatch runs a program with, so that a program built
 * with -fsanitize=thread hands its reports to concwatch (tsan_reports.h)
 * instead of printing them among the program's own output.
 *
 * Appended to the user's own TSAN_OPTIONS (TSan reads left to right, the
 * last value wins, so the user's other settings, e.g. suppressions= or
 * history_size=, still apply):
 *   log_path=<report dir>/tsan   reports go to tsan.<pid> files, one a process
 *   stack_trace_format=...       CW_TSAN_FRAME_FORMAT: full module path and
 *                                offset with every frame, tab-separated
 *   exitcode=0                   TSan's own exit status (66, like ours) must
 *                                not pass for concwatch's verdict: the run's
 *                                status stays the program's, and concwatch
 *                                exits 66 because it reports the findings
 *   halt_on_error=0              report every race, keep running
 *   detect_deadlocks=0, report_mutex_bugs=0, report_destroy_locked=0
 *                                lock order and mutex misuse are concwatch's
 *                                own checks (the shim sees every lock call):
 *                                TSan's would report them twice
 * A program that is not built with TSan ignores the variable.
 */
#ifndef CW_TSAN_OPTIONS_H
#define CW_TSAN_OPTIONS_H

#define CW_TSAN_OPTIONS_ENV "TSAN_OPTIONS"

/* existing (may be NULL or "") followed by concwatch's options, malloc'd.
   NULL if report_dir holds both kinds of quote (TSan's option syntax has no
   escapes): then TSan is better left alone. */
char *cw_tsan_options(const char *existing, const char *report_dir);

/* Sets TSAN_OPTIONS in this process's environment for the program about to
   be executed; leaves it alone (with a note on stderr) if that cannot be done. */
void cw_tsan_options_setenv(const char *report_dir);

#endif

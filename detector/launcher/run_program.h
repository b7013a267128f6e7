/*
 * Running the program under the shim and waiting for it.
 *
 * The child gets, on top of concwatch's own environment:
 *   LD_PRELOAD            the existing value + ":" + shim (just the shim if
 *                         empty), so the user's own preloads still come first
 *   CONCWATCH_REPORT_DIR  where every process writes findings.<pid>
 *   CONCWATCH_HANG_AFTER  seconds before a blocked thread counts as a hang
 * and the signal dispositions concwatch itself was started with.
 *
 * While it runs, concwatch survives SIGINT, SIGQUIT, SIGTERM and SIGHUP (it
 * must live to report what the child did) and passes them on to the child:
 * sent to concwatch (kill, a CI timeout), they mean "stop the program".  Those
 * the terminal generates (Ctrl-C, Ctrl-\, hang-up) already reach the child,
 * which shares concwatch's foreground process group, and are not sent twice.
 * Then the report is written as after any other end of the program.
 */
#ifndef CW_RUN_PROGRAM_H
#define CW_RUN_PROGRAM_H

#include <stddef.h>

#define CW_HANG_AFTER_ENV "CONCWATCH_HANG_AFTER"

typedef struct cw_run_request {
    char *const *argv;        /* program and arguments, argv[0] as the user typed it */
    const char *path;         /* the file to execute (cw_check_program's result) */
    const char *shim;         /* absolute path of libconcwatch.so */
    const char *report_dir;
    const char *hang_after;
} cw_run_request;

/* Runs the program to its end.  Returns its exit status, or 128+N if it died
   of signal N.  If it could not be started, err gets one line and the result
   is 127 (exec: no such file), 126 (other exec errors) or 2 (fork failed);
   otherwise err is "". */
int cw_run_program(const cw_run_request *req, char *err, size_t errlen);

#endif

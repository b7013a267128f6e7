/*
 * Writes findings in the record format (detector/common/record_format.h) from
 * inside the watched program.
 *
 * Each finding is assembled in an mmap'd buffer (never malloc: a finding can
 * be written from inside the program's allocator or a hung thread) and then
 * appended to this process's findings file with a single write(2), so findings
 * of concurrent threads never interleave and a finding written just before a
 * crash is complete on disk.
 *
 * Native frames are written as module path + address inside the module's ELF
 * image; the launcher symbolizes them.
 */
#ifndef CW_RECORD_WRITER_H
#define CW_RECORD_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "stacks/stack_depot.h"

typedef struct cw_record {
    char *buf;
    size_t len, cap;
    int saved_errno;     /* the program's errno, restored by cw_record_end */
} cw_record;

/* Start-up: where findings go is cw_flags.report_dir (CONCWATCH_REPORT_DIR). */
void cw_record_writer_init(void);

int cw_record_begin(cw_record *r, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A lock of the finding: its id, type, where it was created or first used (`how`, `stack`) and
   its address (0: unknown), so the launcher can name it (lockaddr, record_format.h). */
void cw_record_lock(cw_record *r, const char *id, const char *type, const char *how, cw_stack_id stack,
                    uintptr_t addr);
void cw_record_stack(cw_record *r, const char *thread, cw_stack_id stack, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A stack given as raw PCs; `first_is_exact` when pcs[0] is an interrupted instruction, not a return address. */
void cw_record_stack_pcs(cw_record *r, const char *thread, const uintptr_t *pcs, size_t n,
                         int first_is_exact, const char *role);
void cw_record_pyframe(cw_record *r, const char *file, int line, const char *function);
/* One pyframe per frame line of a Python stack (stacks/python_stacks.h); NULL writes none. */
void cw_record_python_frames(cw_record *r, const char *frames);
void cw_record_note(cw_record *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Lines already in the record format (frame, pyframe lines of another
 * record), appended as they are. */
void cw_record_raw(cw_record *r, const char *lines, size_t len);
/* Appends `end`, writes the finding out and releases the buffer. */
void cw_record_end(cw_record *r);
/* The same, into "<report dir>/<prefix><pid>" instead of the findings file:
 * records meant for the launcher's own analyses (nothing without a report
 * directory). */
void cw_record_end_to(cw_record *r, const char *prefix);

/* A record about the run rather than a finding ("races <method> <detail>",
 * record_format.h), one line with one write(2); nothing without a report
 * directory. */
void cw_record_run_line(const char *tag, const char *a, const char *b);
/* In a process built with -fsanitize=thread: lists a thread of the program
 * (its label, e.g. "T2", and kernel tid) in "threads.<pid>" for the
 * launcher, which renames TSan's thread numbers (record_format.h).
 * Nothing without a report directory. */
void cw_record_thread_id(const char *label, int tid);

#endif

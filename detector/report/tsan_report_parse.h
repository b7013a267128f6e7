/*
 * One ThreadSanitizer report, as text, split into what it is made of: the
 * description, the sections with their frames, and where the modules of the
 * reporting process were loaded.  What the sections mean, and what they
 * become, is tsan_findings.h's business; finding the reports in a log is
 * tsan_reports.h's.
 *
 * A report is the lines after a "==================" separator, from TSan's
 * "WARNING: ThreadSanitizer: <description> (pid=N)" line up to the next
 * separator (or the end of the log: truncated).  Inside it:
 *   - a line indented by one to three blanks starts a section (its header:
 *     "Write of size 8 at 0x... by thread T1:", "Location is global ...",
 *     "Mutex M7 (0x...) created at:", "Thread T1 (tid=..., running) created
 *     by main thread at:", ...);
 *   - frame lines ("    #N ...") belong to the section above them; those
 *     right under the WARNING line form a section of their own (TOP);
 *   - "[failed to restore the stack]" marks the section above it;
 *   - "SUMMARY:" ends the last section; blank and unknown lines are ignored.
 * Frames are read in CW_TSAN_FRAME_FORMAT (tsan_reports.h; with or without
 * its pc field) or in TSan's default format ("#0 func file:line:col
 * (module+0xoff)", whose module is a base name only).  TSan's "<null>"
 * (unknown) becomes NULL.  Nothing is trusted: any line parses into
 * something or is ignored, never read past its end.
 */
#ifndef CW_TSAN_REPORT_PARSE_H
#define CW_TSAN_REPORT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "finding.h"
#include "symbolizer.h"

/* The line before (and after) each report in a TSan log. */
#define CW_TSAN_SEPARATOR "=================="
/* The first line of a report, before its description. */
#define CW_TSAN_WARNING_PREFIX "WARNING: ThreadSanitizer: "

typedef enum cw_tsan_section_kind {
    CW_TSAN_SEC_TOP,         /* the frames right under the WARNING line */
    CW_TSAN_SEC_ACCESS,      /* "Write of size 8 at ... by thread T1:" */
    CW_TSAN_SEC_SLEEP,       /* "As if synchronized via sleep:" */
    CW_TSAN_SEC_LOCATION,    /* "Location is ..." */
    CW_TSAN_SEC_MUTEX,       /* "Mutex M7 (0x...) created at:" */
    CW_TSAN_SEC_THREAD,      /* "Thread T1 (tid=..., running) created by main thread at:" */
    CW_TSAN_SEC_OTHER,
} cw_tsan_section_kind;

typedef struct cw_tsan_section {
    cw_tsan_section_kind kind;
    char *header;            /* without indentation and final ':'; NULL for CW_TSAN_SEC_TOP */
    cw_frame *frames;        /* as TSan printed them, tool frames included */
    size_t nframes;
    bool failed_restore;     /* "[failed to restore the stack]" */
} cw_tsan_section;

/* Where a module was loaded in the reporting process (from a frame's pc and
   offset), to name the mutexes TSan gives by address. */
typedef struct cw_tsan_module_base {
    char *path;
    uint64_t bias;           /* absolute address = ELF vaddr + bias */
} cw_tsan_module_base;

typedef struct cw_tsan_report {
    char *description;       /* "data race", "thread leak", ... */
    cw_tsan_section *sections;
    size_t nsections;
    bool truncated;          /* no closing separator */
    cw_tsan_module_base *modules;
    size_t nmodules;
    cw_symbolizer *sym;      /* the log's: names globals by address (set by the caller; not owned) */
} cw_tsan_report;

/* lines[0..n): one report's lines, lines[0] its WARNING line (which must
   start with CW_TSAN_WARNING_PREFIX), NUL-terminated, without '\n'.
   truncated: the log ended before the closing separator.  Fills *r (sym
   NULL); free it with cw_tsan_report_clear. */
void cw_tsan_report_split(char **lines, size_t n, bool truncated, cw_tsan_report *r);

/* Frees what *r owns (not sym) and zeroes it. */
void cw_tsan_report_clear(cw_tsan_report *r);

/* A frame line ("    #N..."), in our format or TSan's default one.  On
   success *fr owns its strings (cw_frame_clear) and *pc is the frame's
   absolute address when the line gives it, else 0; false when the line is
   no frame or names nothing (*fr then holds nothing). */
bool cw_tsan_parse_frame(const char *line, cw_frame *fr, uint64_t *pc);

#endif

/*
 * The processes of a run, as their shims described them in status.<pid>
 * (detector/common/record_format.h, "Status records"): command line, and
 * whether concwatch turned itself off there, crashed there, or saw a program
 * started that it could not watch.  Read by the launcher after the run, to
 * label findings and to report the tool's own troubles; the files come from
 * the program's processes, so any bytes are possible (fuzzed).
 */
#ifndef CW_PROCESS_STATUS_H
#define CW_PROCESS_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include "finding.h"

typedef struct cw_process {
    long pid, ppid;
    char *command;            /* arguments joined by spaces; NULL if never recorded */
    char *off_reason;         /* the shim turned itself off: why */
    bool crashed;             /* the shim crashed here */
    char *crash_signal;       /* "SIGSEGV" */
    char *crash_address;      /* the faulting address, as recorded */
    bool crash_on_helper;     /* on one of the shim's own threads */
    char *crash_thread;       /* the thread's name */
    cw_frame *crash_frames;   /* innermost first, the shim's frames included */
    size_t ncrash_frames;
} cw_process;

typedef struct cw_unwatched {
    long pid;                 /* the process that started it */
    long ppid;                /* and its parent (a vfork child has no record of its own) */
    char *path;
    char *reason;             /* "set-user-ID", "statically linked", ... */
} cw_unwatched;

typedef struct cw_process_list {
    cw_process *items;
    size_t n;
    cw_unwatched *unwatched;
    size_t nunwatched;
} cw_process_list;

/* Parses one status file's text (the records of process `pid`). */
void cw_parse_status(const char *buf, size_t len, long pid, cw_process_list *out);

/* Every status.<pid> in dir, in the order they were written.  -1 if dir cannot be read. */
long cw_read_process_status(const char *dir, cw_process_list *out);

/* The process with that pid, or NULL. */
cw_process *cw_process_find(const cw_process_list *list, long pid);

void cw_process_list_free(cw_process_list *list);

#endif

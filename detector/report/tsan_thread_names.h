/*
 * Thread numbers in ThreadSanitizer's reports, made concwatch's.
 *
 * TSan numbers every thread it sees created, concwatch's own helper threads
 * (hang watcher, race sampler) included, so the program's second thread may
 * be TSan's T3 while concwatch's findings call it T2.  The shim lists each of
 * the program's threads with its kernel tid ("threads.<pid>": lines
 * "thread <label> <tid>", record_format.h), and TSan's thread sections give
 * each thread's tid ("Thread T3 (tid=4321, running) created by ..."): a
 * report's TSan labels are translated through the tid, so that a thread has
 * one name in every finding of the run.
 */
#ifndef CW_TSAN_THREAD_NAMES_H
#define CW_TSAN_THREAD_NAMES_H

#include <stddef.h>

typedef struct cw_tsan_thread_rename {
    char *tsan;              /* "T3" */
    char *ours;              /* "T2" */
} cw_tsan_thread_rename;

typedef struct cw_tsan_thread_names {
    cw_tsan_thread_rename *items;
    size_t n;
} cw_tsan_thread_names;

/* From one of TSan's thread section headers ("Thread T3 (tid=4321, ...") and
 * the shim's list (NUL-terminated text): adds T3's concwatch label when the
 * shim listed that tid. */
void cw_tsan_thread_names_add(cw_tsan_thread_names *names, const char *header, const char *thread_ids);

/* Our label of TSan's `label` (len bytes: "T3"), or NULL (names may be NULL). */
const char *cw_tsan_thread_name(const cw_tsan_thread_names *names, const char *label, size_t len);

void cw_tsan_thread_names_free(cw_tsan_thread_names *names);

#endif

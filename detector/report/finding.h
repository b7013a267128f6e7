/*
 * The launcher's model of a finding: what the reader builds from the shim's
 * records (record_format.h), what the symbolizer fills in, and what the text
 * and JSON renderers print.  Plain owned C strings; finding_list_free() frees
 * everything.
 */
#ifndef CW_FINDING_H
#define CW_FINDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cw_frame {
    /* As recorded. */
    char *module;        /* NULL for Python frames */
    uint64_t vaddr;      /* address inside module's ELF image */
    bool is_return;      /* vaddr is a return address: the call is at vaddr-1 */
    bool is_python;
    bool is_inlined;     /* set by the symbolizer: this call was inlined into
                            the next frame; both share the same vaddr */
    /* Filled by the symbolizer (or recorded, for Python frames); may be NULL/0. */
    char *function;
    char *file;
    int line;
} cw_frame;

typedef struct cw_stack {
    char *thread;        /* "T1" */
    char *role;          /* "acquires M2 while holding M1" */
    cw_frame *frames;
    size_t nframes;
} cw_stack;

typedef struct cw_lock {
    char *id;            /* "M1" */
    char *type;          /* "mutex", "rwlock", "semaphore", ... */
    char *how;           /* "created" or "first used" */
    cw_frame *frames;    /* where it was created / first used */
    size_t nframes;
    /* Where it lives (the `lockaddr` record); 0 / NULL when not recorded. */
    uint64_t addr;       /* in the process */
    char *module;        /* the loaded object whose image holds it (a global or
                            static variable), NULL for heap and stack locks */
    uint64_t vaddr;      /* the address inside module's ELF image */
    /* Filled by lock_names.h (or read back from a JSON report); NULL when unknown. */
    char *name;          /* as the code names it: "accounts[1].lock", "alice.lock" */
    char *description;   /* the phrase reports show beside the id: "`accounts[1].lock`
                            (static, bank.c:12)", "field `lock` of a struct account
                            (initialised at bank.c:40)" */
} cw_lock;

typedef struct cw_finding {
    char *kind;
    char *message;
    cw_lock *locks;
    size_t nlocks;
    cw_stack *stacks;
    size_t nstacks;
    char **notes;
    size_t nnotes;
    long pid;            /* process that reported it (findings.<pid>), 0 if unknown */
    /* Set when reports are merged (merge.h): how many reports (runs) and
       processes the finding came from; 0 in a single run's report. */
    size_t runs;
    size_t processes;
    long *other_pids;    /* other processes that reported the same finding (dedupe) */
    size_t nother_pids;
} cw_finding;

typedef struct cw_finding_list {
    cw_finding *items;
    size_t n;
    /* How the watched program looked for data races (a `races` record):
     * "hardware watchpoints", "software watchpoints" or "off", and why; NULL
     * when no process said (older shims, or no thread was ever started). */
    char *race_method;
    char *race_detail;
    long race_pid;
} cw_finding_list;

/* Frees everything a finding / list owns and leaves it empty (reusable). */
void cw_frame_clear(cw_frame *frame);
void cw_finding_clear(cw_finding *finding);
void cw_finding_list_free(cw_finding_list *list);

/* Keeps only the findings for which keep() returns true, preserving order;
   returns how many were removed (and freed).  Compacts in place as it goes:
   when keep() sees items[i], the findings kept so far are items[0..k-1]. */
size_t cw_finding_list_filter(cw_finding_list *list,
                              bool (*keep)(const cw_finding *f, void *arg), void *arg);

#endif

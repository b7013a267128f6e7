/*
 * The shim's own health, inside the watched program: the shim never takes
 * the program down.
 *
 *  - The off switch.  An internal error of the shim (out of memory, a failed
 *    mmap, findings that cannot be written: a full disk) turns concwatch off
 *    for that process: one clear line on stderr, an `off` status record
 *    (record_format.h) for the launcher, and from then on every interceptor
 *    forwards straight to the real call (cw_shim_ready is the flag the
 *    interceptors already test), the hang watcher stops judging, and no
 *    finding is written.  The program runs on, unwatched.
 *  - Status records: every process writes status.<pid> in the report
 *    directory (its command line at start-up; `off`, `crash`, `unwatched`
 *    when they happen), read by the launcher (report/process_status.h).
 *  - The health page: health.<pid>, a small shared file the launcher's
 *    watchdog reads while the program runs.  A thread that has waited more
 *    than a second for one of the shim's own spin locks says so there, and
 *    the hang watcher beats there at each look: a deadlock inside the shim,
 *    invisible to the hang watcher (it may be the one stuck), is seen from
 *    outside.
 *  - Fault injection, for tests only (CONCWATCH_TEST_FAULT): makes the shim
 *    fail on purpose so that each protection above has a test that fails
 *    without it.
 * Everything here is async-signal-safe except cw_shim_health_init.
 */
#ifndef CW_SHIM_HEALTH_H
#define CW_SHIM_HEALTH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 1 while the shim records (set at the end of its constructor); 0 before
 * that and once it is off. */
extern __attribute__((visibility("hidden"))) atomic_int cw_shim_ready;

/* Start-up (after cw_shim_flags_read): maps the health page and writes the
 * `process` status record.  Again in a fork child, for the child's pid. */
void cw_shim_health_init(void);
void cw_shim_health_after_fork_child(void);

/* Turns the shim off for this process (once; later calls do nothing):
 * "concwatch: internal error in process N: <why>; ..." on stderr. */
void cw_shim_off(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Called by cw_shim_off once the shim is off (set by the preload at start-up:
 * its fast paths look at each thread's own flags, not at cw_shim_ready). */
extern void (*cw_shim_off_hook)(void);
bool cw_shim_is_off(void);

/* The shim's memory: mmap of `len` zeroed bytes (MAP_PRIVATE|MAP_ANONYMOUS
 * plus `extra_flags`); on failure the shim is turned off ("out of memory:
 * <what>") and NULL is returned. */
void *cw_shim_mmap(size_t len, int extra_flags, const char *what);

/* Appends one line (with its '\n') to this process's status file; false
 * when there is no report directory or it cannot be written. */
bool cw_status_append(const char *text, size_t len);

/* The health page (all fields written with relaxed atomics). */
typedef struct cw_health_page {
    uint32_t magic;                    /* CW_HEALTH_MAGIC once initialised */
    uint32_t version;                  /* 1 */
    _Atomic uint64_t beat_ns;          /* CLOCK_MONOTONIC of the hang watcher's last look; 0: not running */
    _Atomic uint64_t stuck_since_ns;   /* a thread waits for a shim spin lock since then; 0: none */
    _Atomic uint64_t stuck_lock;       /* its address (for the report) */
    _Atomic uint32_t off;              /* the shim turned itself off */
    _Atomic int32_t watcher_tid;       /* the hang watcher's thread: runnable ('R') is not stuck */
} cw_health_page;

#define CW_HEALTH_MAGIC 0x68776363u    /* "ccwh" */
#define CW_HEALTH_PREFIX "health."
#define CW_STATUS_PREFIX "status."

/* The hang watcher, at each look (and 0 when it leaves). */
void cw_health_beat(uint64_t now_ns, int tid);

/* Called by cw_spin_lock_acquire's slow path every few thousand spins:
 * publishes a wait longer than a second on the health page; `done` when
 * the lock was finally taken. */
void cw_spin_lock_waited(const void *lock, uint64_t since_ns, bool done);
/* The same with the time now (CLOCK_MONOTONIC) read by the caller: for a
 * lock whose waiters must make no system call but their own (sw_pages.c). */
void cw_spin_lock_waited_at(const void *lock, uint64_t since_ns, uint64_t now_ns, bool done);

/* ---- test-only fault injection (CONCWATCH_TEST_FAULT) ----------------- */
typedef enum cw_fault {
    CW_FAULT_NONE = 0,
    CW_FAULT_MMAP,        /* "mmap:N": the N-th mmap of the shim fails (ENOMEM) */
    CW_FAULT_WRITE,       /* "write": writing findings fails (ENOSPC) */
    CW_FAULT_CRASH,       /* "crash": the shim dereferences NULL at its first new call site */
    CW_FAULT_SPIN,        /* "spin": a thread takes the thread registry's spin lock twice */
    CW_FAULT_HELPER_CRASH, /* "helper-crash": the hang watcher dereferences NULL */
    CW_FAULT_WATCHER_STUCK, /* "watcher-stuck": the hang watcher blocks forever after its first look */
    CW_FAULT_GRAPH_OOM,    /* "graph-oom": the lock-order graph's malloc fails */
    CW_FAULT_SW_SPIN,      /* "sw-spin": the system-call guard of software watchpoints takes its page
                            * lock twice for a brk (inside its SIGSYS handler: asynchronous signals blocked) */
    CW_FAULT_SW_SLOW_PROT  /* "sw-slow-prot": software watchpoints sleep 2 ms right after each mprotect of a
                            * watched page (a protecting thread preempted there on a loaded machine) */
} cw_fault;

/* True when `f` is the fault asked for (and, for mmap, this is the call that fails). */
bool cw_test_fault(cw_fault f);
/* A crash inside the shim, on purpose (CW_FAULT_CRASH, CW_FAULT_HELPER_CRASH). */
void cw_test_crash_here(void);

#endif

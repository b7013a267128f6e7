/*
 * Hardware watchpoints on other threads of this process, through
 * perf_event_open(PERF_TYPE_BREAKPOINT) — the plumbing under the data-race
 * sampler (race_sampler.h).
 *
 * One event watches one aligned word (1, 2, 4 or 8 bytes) for one thread
 * (the kernel installs it in a debug register whenever that thread runs; x86
 * has four).  It traps AFTER the access instruction and, being opened with
 * `sigtrap`, makes the kernel send the accessing thread a synchronous SIGTRAP
 * (si_code TRAP_PERF) that carries the event's 64-bit cookie: the handler
 * knows which event fired without any fd lookup, and the signal is delivered
 * before the thread runs another instruction.  If the thread had SIGTRAP
 * blocked, the signal arrives later flagged "async" and must be ignored
 * (the thread has moved on since).
 *
 * An access watchpoint does not tell a read from a write (the debug status
 * register only says which register matched): the trapping instruction
 * does (access_insn.h).  One watchpoint takes one of the thread's four
 * debug registers.
 *
 * Events are opened disabled, enabled by the caller, and always disabled
 * before close: a copy of the fd that survives somewhere (a fork child that
 * did not close it) then holds a harmless disabled event.
 * Every call here is a plain system call: safe in a signal handler.
 */
#ifndef CW_WATCHPOINTS_H
#define CW_WATCHPOINTS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum cw_wp_type {
    CW_WP_WRITE,      /* traps on writes (and read-modify-writes) */
    CW_WP_ACCESS,     /* traps on reads and writes */
} cw_wp_type;

/* A signalling watchpoint on [addr, addr+len) of thread tid; returns the fd
 * or -errno.  len is 1, 2, 4 or 8 and addr a multiple of it. */
int cw_wp_open(pid_t tid, uintptr_t addr, unsigned len, cw_wp_type type, uint64_t cookie);
/* A write breakpoint on the calling thread's 8 bytes at addr, counting
 * (read(2) gives one u64), signalling with the cookie when sigtrap. */
int cw_wp_open_probe(uintptr_t addr, bool sigtrap, uint64_t cookie);
/* From now on every breakpoint opened watches a word nothing touches
 * (CONCWATCH_HWBP_SIMULATE_SILENT: the host's debug registers made silent). */
void cw_wp_simulate_silent(bool on);
/* Changes a watchpoint's word and type in place (no reopen; the cookie
 * must be the one it was opened with). */
int cw_wp_retarget(int fd, uintptr_t addr, unsigned len, cw_wp_type type, uint64_t cookie);
/* Zeroes its count. */
int cw_wp_reset(int fd);
int cw_wp_enable(int fd);
int cw_wp_disable(int fd);
/* How many accesses trapped.  False on error. */
bool cw_wp_counts(int fd, uint64_t *accesses);
/* The kernel's id of the event behind fd, 0 if fd is not a perf event. */
uint64_t cw_wp_id(int fd);
/* Disables and closes fd, but only if it still is the event `id` (the
 * program may have closed our fd and reused the number). */
void cw_wp_close(int fd, uint64_t id);

/* For a SIGTRAP: true if it was sent by one of our breakpoint events, with
 * its cookie and whether it arrived late (the thread had SIGTRAP blocked). */
bool cw_wp_decode(const siginfo_t *si, uint64_t *cookie, bool *late);

#endif

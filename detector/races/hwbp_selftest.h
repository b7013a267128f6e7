/*
 * Do this host's hardware breakpoints fire?  Some hosts (virtual machines
 * that leave the debug registers out) grant perf_event_open breakpoints that
 * never fire: nothing traps, nothing is counted, and a sampler relying on
 * them would find nothing and say nothing.  So before relying on them the
 * sampler proves they work: a counting write breakpoint on a private word of
 * its own, one store, and the count must be 1; then the same with a signal
 * (the SIGTRAP must reach cw_hwbp_probe_on_trap, which the backend's handler
 * calls first).  About 20 us each, on the calling thread.
 *
 * CONCWATCH_HWBP_SIMULATE_SILENT=1 makes every breakpoint watch a decoy word
 * (watchpoints.h): everything is granted and nothing fires, the failing
 * host's exact behaviour, on any host (tests use it).
 */
#ifndef CW_HWBP_SELFTEST_H
#define CW_HWBP_SELFTEST_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum cw_hwbp_result {
    CW_HWBP_OK,
    CW_HWBP_REFUSED,     /* perf_event_open said no (permissions, no PMU, seccomp) */
    CW_HWBP_SILENT,      /* granted, but the store was not counted */
    CW_HWBP_NO_SIGNAL,   /* counted, but no SIGTRAP arrived */
} cw_hwbp_result;

/* Runs the probe on the calling thread; with_signal needs the backend's
 * SIGTRAP handler installed.  why gets a sentence when not OK. */
cw_hwbp_result cw_hwbp_selftest(bool with_signal, char *why, size_t len);

/* First thing in the SIGTRAP handler: true if this was the probe's signal
 * (then it is consumed).  Async-signal-safe. */
bool cw_hwbp_probe_on_trap(const siginfo_t *si);

#endif

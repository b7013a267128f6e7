/*
 * How the program's threads are scheduled, from /proc/self/task (what the
 * pause and the budget need): CPU time had, how often a thread got a CPU,
 * whether it is runnable, and each thread's usual time between two runs.
 * Async-signal-safe (open/read/close, no stdio): the pause reads them from
 * a trap handler.
 */
#ifndef CW_TASK_SCHED_H
#define CW_TASK_SCHED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* CPU time had (ns; the kernel updates it at scheduler ticks) and how many
 * times the thread got a CPU. */
bool cw_task_sched(pid_t tid, uint64_t *run, uint64_t *slices);
/* Running or waiting for a CPU ('R'). */
bool cw_task_runnable(pid_t tid);
/* The thread's mean time between two runs as last measured; 0 = unknown. */
uint32_t cw_task_wake_period_us(pid_t tid);
/* Measures every listed thread's wake-up rate (the sampler, now and then);
 * returns how many times they got a CPU since the last call. */
uint64_t cw_task_measure_wake_periods(const pid_t *tids, int n, uint64_t now_ns);

#endif

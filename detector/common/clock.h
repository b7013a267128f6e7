/*
 * Time and waiting, as the runtime's threads need them: monotonic and
 * per-thread CPU clocks in nanoseconds, a sleep, and the pause hint of a
 * spin loop.  All async-signal-safe (clock_gettime and nanosleep are).
 */
#ifndef CW_CLOCK_H
#define CW_CLOCK_H

#include <stdint.h>
#include <time.h>

#define CW_MS 1000000ull
#define CW_SEC 1000000000ull

static inline uint64_t cw_ns_of(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * CW_SEC + (uint64_t)ts.tv_nsec;
}

/* Monotonic wall time. */
static inline uint64_t cw_now_ns(void) { return cw_ns_of(CLOCK_MONOTONIC); }

/* CPU time of the calling thread. */
static inline uint64_t cw_cpu_ns(void) { return cw_ns_of(CLOCK_THREAD_CPUTIME_ID); }

static inline struct timespec cw_timespec_of(uint64_t ns)
{
    return (struct timespec){ (time_t)(ns / CW_SEC), (long)(ns % CW_SEC) };
}

static inline void cw_sleep_ns(uint64_t ns)
{
    struct timespec ts = cw_timespec_of(ns);
    nanosleep(&ts, NULL);
}

/* Inside a spin loop: lets the sibling hyperthread run, saves power. */
static inline void cw_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#endif

/*
 * Data races in unmodified binaries, found by sampling with hardware
 * watchpoints (DataCollider, OSDI 2010; Linux KCSAN) — issue 5.
 *
 * A thread of the shim (not of the program) puts the debug registers (four
 * on x86) on words of the program's global and static variables
 * (race_candidates.h), one perf breakpoint per program thread and word
 * (watchpoints.h), write-only at first.  When a thread's write traps, the
 * thread is held still inside the SIGTRAP handler, right after its write,
 * for a few milliseconds, while the same word is watched for reads and
 * writes on every other thread.  If another thread touches the word during
 * that pause, the two accesses were truly simultaneous: no lock can protect
 * both (the held thread would own it and the other would be blocked), and no
 * happens-before is possible (the held thread executes nothing after its
 * write: no unlock, post, signal or exit).  That is a `data-race` finding,
 * with both stacks (unwound from the signal contexts), naming the variable,
 * its size and defining line, and the locks each side held (the shim's
 * locksets: a lock common to both is taken as proof of the contrary and the
 * pair is dropped).  Not races: atomic instructions (LOCK-prefixed, XCHG,
 * seq_cst stores), variables of atomic or pthread types, and accesses made
 * inside the C library or the shim (the inside of pthread objects).
 * One finding per variable.
 *
 * Which words are watched: every variable when there are no more words than
 * registers (then they stay armed all the time), else a rotation that
 * prefers words written by two threads, then words never tried.  Pausing is
 * what costs: a thread is held only at a word's first write, for words
 * written by two threads or more, and now and then for others; the pauses,
 * the sampler's own CPU and the traps are kept within a budget of about 5%
 * of the run time (after a 10 ms allowance), so a program is slowed by a few
 * percent at most.
 *
 * Off when perf_event_open refuses breakpoints (one line on stderr says so),
 * with CONCWATCH_RACES=0, in CPython (the interpreter's variables are not the
 * program's) and in -fsanitize=thread builds (TSan reports races itself).
 * Knobs for tests: CONCWATCH_RACE_STALL_MS (pause, default 4).
 */
#ifndef CW_RACE_SAMPLER_H
#define CW_RACE_SAMPLER_H

#include <pthread.h>

typedef int (*cw_race_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

/* Starts the sampler thread with the real pthread_create, once per process
 * (again in a fork child that creates threads). */
void cw_race_sampler_start_once(cw_race_create_fn create);

#endif

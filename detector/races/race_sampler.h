/*
 * Data races in unmodified binaries, found by sampling with watchpoints
 * (DataCollider, OSDI 2010; Linux KCSAN) — issues 5 and 10.  Since issue 10:
 * two backends behind this one policy (watch_backend.h: hardware
 * breakpoints, proved at start by hwbp_selftest.h, or software watchpoints
 * by page protection), every trapped access judged by happens-before
 * (access_history.h; the pause below still proves overlapping pairs by
 * itself), heap blocks pointer globals lead to (candidate_pool.h), and an
 * idle program costs nothing (the sampler backs off to a look a second).
 * The description below is the policy both backends share; where it says
 * debug registers, the software backend has a protected page instead.
 *
 * What is watched: one scalar ("cell") at a time of the program's global and
 * static variables and of the objects threads are started with
 * (pthread_create's argument: its first 64 bytes, a byte every 4;
 * race_candidates.h), four at a time on x86: per watched
 * thread and cell, an access watchpoint that traps (watchpoints.h); the
 * trapping instruction, decoded forward from its function's start, tells a
 * read from a write and an atomic access (access_insn.h).  A
 * thread of the shim (not of the program) arms them on every thread the shim
 * knows (at most 32) and keeps them armed while there are no more
 * candidates than registers, else rotates (variables written by two threads
 * first, then never tried ones, least recently watched first).
 *
 * How a race is seen: a trap arrives in the accessing thread right after its
 * access, before it runs another instruction.  At a write, the thread is
 * held still inside the SIGTRAP handler for a few milliseconds (the pause)
 * while every other thread's reads and writes of the cell trap.  If another
 * thread touches the cell during the pause, the two accesses were truly
 * simultaneous: no lock can protect both (the paused thread would own it and
 * the other would be blocked) and no happens-before is possible (the paused
 * thread executes nothing after its write: no unlock, post, signal or exit;
 * nor does the other thread after its access, until its handler returns).
 * The same holds for two threads whose traps are in flight at the same
 * moment, so a read that traps waits a few microseconds for a writer
 * trapping with it (two threads woken by one timer tick).  The pair becomes
 * a `data-race` finding — the variable's name, size and defining line, both
 * stacks (unwound from the signal contexts, "writes `x` (holding mutex M1)"),
 * the locks each side held — written by the sampler thread while the paused
 * thread waits, so that it exists even if the program ends right after.
 * One finding per variable.  Not a race: accesses by atomic instructions
 * (LOCK, XCHG, seq_cst stores; and a word any code accesses atomically is
 * dropped, as are _Atomic/std::atomic and pthread types), accesses from
 * inside the C library, loader or shim (the inside of pthread objects), and
 * a pair whose locksets (the shim's) share a lock.
 *
 * How long a pause lasts: 4 ms (CONCWATCH_RACE_STALL_MS), up to 50 ms while
 * another watched thread has not had its chance yet: runnable but starved
 * of CPU, asleep but waking every millisecond or so (a thread polling a
 * flag), or inside one of these handlers; cut short when the other side
 * comes, and ended as soon as every other watched thread is stuck behind
 * the paused one (waiting with no timeout for a lock it holds, or joining
 * it): none of them can come.  When: at every write of a variable never
 * paused on before or written by two threads (spaced out after 8 fruitless
 * pauses: such a word is most likely always written under one lock), at a
 * new writer's write, and now and then.
 *
 * What it costs, and the budget that bounds it: pauses, traps (~25 us each
 * in a VM), the sampler's CPU, and the debug registers themselves (each
 * context switch of a watched thread reloads them: ~6 us per watchpoint in
 * a VM).  First pauses of variables may take 10% of the run time (after a
 * 40 ms allowance), everything else 5% (CONCWATCH_RACE_BUDGET, after 20 ms);
 * over budget, the watchpoints are closed until the run has paid for them.
 * A thread's reads are watched only while they are rare (200 us apart);
 * a hot writer that is not paused is left alone until the next tick.
 *
 * Off: with CONCWATCH_RACES=0; when perf_event_open refuses breakpoints (one
 * line on stderr says so); in CPython (the interpreter's variables are not
 * the program's) and in -fsanitize=thread builds (TSan reports races
 * itself); while every thread of the program is blocked (the sampler thread
 * leaves so that the hang watcher sees no thread running; the next
 * pthread_create brings it back); in a fork child until it creates a thread;
 * from exit() on.  CONCWATCH_RACE_DEBUG=1 prints its decisions on stderr.
 */
#ifndef CW_RACE_SAMPLER_H
#define CW_RACE_SAMPLER_H

#include <stdint.h>

#include "events/helper_thread.h"
#include "stacks/stack_depot.h"

/* Starts the sampler thread with the real pthread_create, once per process
 * (again in a fork child that creates threads). */
void cw_race_sampler_start_once(cw_thread_create_fn create);

/* fork(), in the child: the sampler thread did not survive, and the parent's
 * watchpoints are not the child's. */
void cw_race_sampler_after_fork_child(void);

/* Called by each new thread before it runs the program's code, with the
 * ticket cw_race_sampler_thread_arg gave its creator (0: none).  The thread
 * waits (at most 100 ms, charged to the budget) for the sampler's first
 * slots and for the object it was started with to be looked at, then
 * watches every watched word from its first instruction on. */
void cw_race_sampler_thread_started(uint32_t ticket);

/* pthread_create is about to start a thread with this argument (creator:
 * the creating thread's index; stack: where it called pthread_create).  The
 * object it points to becomes a candidate too (race_candidates.h).  Returns
 * the ticket to hand to the new thread. */
uint32_t cw_race_sampler_thread_arg(void *arg, uint32_t creator, cw_stack_id stack);

#endif

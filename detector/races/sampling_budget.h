/*
 * What the race sampling may cost, and when a write is paused on.
 *
 * Charged: pauses, traps and faults (per backend: ~25 us a hardware trap and
 * its signal in a VM, ~6 us a software fault and its emulation), the
 * sampler's own CPU, the debug registers themselves (hardware: each context
 * switch of a watched thread reloads them, ~6 us per watchpoint in a VM), and
 * the happens-before clocks (each synchronisation while clocks are kept).
 * First pauses of variables may take CONCWATCH_RACE_FIRST_BUDGET of the run
 * time (after CONCWATCH_RACE_FIRST_ALLOWANCE_MS), everything else
 * CONCWATCH_RACE_BUDGET (after CONCWATCH_RACE_ALLOWANCE_MS); over budget,
 * the watchpoints (and clocks) are off until the run has paid for them.
 *
 * When to pause: never while every word has a slot of its own all along
 * and the order judgement is trusted (access_history.h: one recorded access
 * of each side is then enough, and a pause would only stall the program).
 * Else: at every write of a word written by two threads or never
 * paused on yet (spaced out after CONCWATCH_RACE_MULTI_WRITER_PAUSES
 * fruitless pauses: such a word is most likely always written under one
 * lock), at a new writer's write, and now and then (after 100 ms, 200 ms,
 * ... 3.2 s).  Sampler thread only.
 */
#ifndef CW_SAMPLING_BUDGET_H
#define CW_SAMPLING_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#include "watch_slot.h"

typedef struct cw_budget {
    uint64_t start_ns;
    uint64_t cost_ns;            /* pauses + the sampler's CPU + traps + switches + clocks */
    uint64_t first_cost_ns;      /* variables' first pauses, new threads' waits for the sampler */
    uint64_t join_cost_ns;       /* new threads' waits for the sampler (race_sampler.h) */
    uint64_t total_stall_ns, switch_cost_ns, cpu_cost_ns, trap_cost_ns, clock_cost_ns;
} cw_budget;

extern cw_budget cw_budget_now;

void cw_budget_start(uint64_t now);
uint64_t cw_budget_allowed_ns(uint64_t now);
bool cw_budget_over(uint64_t now);
/* A variable's first pause, with a budget of its own. */
bool cw_budget_first_pause(const cw_var_state *vs);
int cw_budget_stall_level(const cw_var_state *vs, uint64_t now);
/* A pause that ended. */
void cw_budget_charge_pause(const cw_var_state *vs, uint64_t ns);

#endif

#include "sampling_budget.h"

#include "access_history.h"
#include "candidate_pool.h"

cw_budget cw_budget_now;

#define budget_permille ((uint64_t)(cw_flags.race_budget * 10))

void cw_budget_start(uint64_t now)
{
    cw_budget_now = (cw_budget){ .start_ns = now };
}

uint64_t cw_budget_allowed_ns(uint64_t now)
{
    return cw_flags.race_allowance_ns + (now - cw_budget_now.start_ns) / 1000 * budget_permille;
}

bool cw_budget_over(uint64_t now)
{
    return cw_budget_now.cost_ns > cw_budget_allowed_ns(now);
}

bool cw_budget_first_pause(const cw_var_state *vs)
{
    return vs->stalls == 0 && __builtin_popcountll(vs->writers) < 2;
}

void cw_budget_charge_pause(const cw_var_state *vs, uint64_t ns)
{
    cw_budget_now.total_stall_ns += ns;
    if (cw_budget_first_pause(vs))
        cw_budget_now.first_cost_ns += ns;
    else
        cw_budget_now.cost_ns += ns;
}

int cw_budget_stall_level(const cw_var_state *vs, uint64_t now)
{
    if (cw_history_trusted() && cw_candidates_all_fit())
        return CW_STALL_NEVER;
    uint64_t stall_len_ns = cw_flags.race_stall_ns;
    if (cw_budget_first_pause(vs))
        return cw_budget_now.first_cost_ns + stall_len_ns <=
                       cw_flags.race_first_allowance_ns +
                           (uint64_t)((double)(now - cw_budget_now.start_ns) / 100 * cw_flags.race_first_budget)
                   ? CW_STALL_ANY
                   : CW_STALL_NEVER;
    if (cw_budget_now.cost_ns + stall_len_ns > cw_budget_allowed_ns(now))
        return CW_STALL_NEVER;
    if (vs->stalls == 0)
        return CW_STALL_ANY;
    if (__builtin_popcountll(vs->writers) >= 2) {
        /* Written by several threads and still no pair after a few pauses:
         * most likely always under one lock, where each pause stalls every
         * thread queued for it.  Spaced out from then on (20 ms, 40 ms, ...). */
        if (vs->stalls < cw_flags.race_multi_writer_pauses)
            return CW_STALL_ANY;
        uint64_t over = vs->stalls - cw_flags.race_multi_writer_pauses;
        uint32_t shift = over < 5 ? (uint32_t)over : 5;
        return now - vs->last_stall_ns >= (cw_flags.race_turn_ns << shift) ? CW_STALL_ANY : CW_STALL_NEW_WRITER;
    }
    uint32_t shift = vs->stalls - 1 < 5 ? vs->stalls - 1 : 5;
    return now - vs->last_stall_ns >= (cw_flags.race_restall_ns << shift) ? CW_STALL_ANY : CW_STALL_NEW_WRITER;
}

/*
 * The sampler's candidates (race_candidates.h says what they are) and what
 * it learnt about each: which one gets a watch slot next, and which of its
 * words.  Variables written by two threads come first, then never tried ones,
 * then those written by one thread, then those never seen written; least
 * recently watched first; every other choice is plain round robin (so that
 * a few busy variables cannot keep the others from ever being watched).
 *
 * Objects threads are started with (pthread_create's argument) are handed
 * over by pthread_create through a small lossy ring and made candidates by
 * the sampler.  cw_vars.v and cw_vstate have room for them from the start:
 * the trap handlers read cw_vars.v, which must never move.
 * Sampler thread only, except cw_candidates_thread_arg.
 */
#ifndef CW_CANDIDATE_POOL_H
#define CW_CANDIDATE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watch_slot.h"

/* Loads the executable's candidates; false when nothing can ever be watched. */
bool cw_candidates_init(void);
/* pthread_create's argument (any thread; lossy).  Returns its ticket (0:
 * not taken): the argument has been looked at once a drain returned at
 * least that much. */
uint32_t cw_candidates_thread_arg(void *arg, uint32_t creator, cw_stack_id stack);
/* New candidates: thread arguments and heap blocks pointers lead to.
 * Returns the tickets served. */
uint32_t cw_candidates_drain(void);
void cw_candidates_retire(size_t v);
/* The next word to watch: a variable (round_robin: least recently watched,
 * whatever it is) and one of its words that no slot holds. */
bool cw_candidates_choose(size_t *out, uint64_t *word, bool round_robin);
/* Every word still to be watched has a slot of its own now or can get one
 * (cw_nslots): words then keep their slots for the whole run, and the
 * order judgement covers every access of every watched thread. */
bool cw_candidates_all_fit(void);
/* fork(), in the child: everything is learnt again. */
void cw_candidates_after_fork_child(void);

#endif

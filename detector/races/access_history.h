/*
 * The order judgement: a data race is two accesses to one word by two
 * threads, at least one a write, that no synchronisation orders — whether or
 * not they happened at the same time.
 *
 * For each watched word (a slot, watch_slot.h) every thread's last recorded
 * write and last recorded read are kept (cw_pos_history: its T number, write
 * or read, stack, epoch from cw_hb_now(), the locks it held, when).  Each new
 * access is judged against the other threads' entries (FastTrack's checks:
 * a write against earlier reads and writes, a read against earlier writes)
 * before it is recorded.  A pair is a race when all of these hold:
 *   - the earlier access does not happen before the new one
 *     (!cw_hb_ordered(epoch): no unlock->lock, post->wait, signal->wake,
 *     barrier, create or join chain leads from one to the other);
 *   - no lock is common to both that excludes the other (a lock held by
 *     both only in read mode excludes nothing: a write under the read side
 *     of an rwlock races);
 *   - both were recorded in the same history period (clocks were kept all
 *     along: the sampler kept cw_hb_use() from before the first access,
 *     restarts the period whenever it turns clocks off, and the engine did not
 *     fail);
 *   - nothing the shim cannot see may have ordered them: the program does not
 *     synchronise by itself (cw_unseen_sync: atomic instructions, atomic
 *     types, C++ guarded statics...), and the later thread did not return
 *     since the earlier access from a call that can carry a hand-over the
 *     shim does not see (cw_race_unseen_wait_returned; no interceptor calls
 *     it yet: pipes, sockets, raw futexes and signals are not seen).
 * Only samples of the accesses are recorded (each trap, not each access), so
 * a race found is a real pair; a race whose samples are ordered is missed.
 *
 * Writers: each position's entry only by its own thread (in its handler);
 * readers take a copy under the entry's sequence count.  Async-signal-safe.
 */
#ifndef CW_ACCESS_HISTORY_H
#define CW_ACCESS_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "watch_slot.h"

/* Judges `now` (made by position pos) against the other positions' entries,
 * then records it as pos's last write or read.  True when a racing pair was
 * found: *earlier gets the other thread's access. */
bool cw_history_judge_and_record(cw_watch *w, unsigned pos, const cw_race_access *now, cw_race_access *earlier);

/* The sampler starts a new history period for the slot (a new word, or
 * clocks were off): every entry is stale from now on. */
void cw_history_restart(cw_watch *w);

/* The two accesses share a lock that keeps them apart (one side holds it
 * exclusively). */
bool cw_accesses_share_lock(const cw_race_access *a, const cw_race_access *b);

/* The calling thread returned from a call that may carry a hand-over the
 * shim does not see (the interceptors of such calls, while clocks are kept). */
void cw_race_unseen_wait_returned(void);

/* Set once by the sampler when the program synchronises in ways the shim
 * does not see: order alone never makes a race then (only a pause does). */
extern const char *cw_unseen_sync;

/* Order alone makes a race (no unseen synchronisation, clocks working). */
bool cw_history_trusted(void);

#endif

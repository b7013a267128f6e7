/*
 * How this process looks for data races, decided once when the sampler
 * starts, and said in the report (a `races` record, record_format.h):
 *
 *   hardware watchpoints   CONCWATCH_RACE_BACKEND=hardware, or auto and the
 *                          start-up probe (hwbp_selftest.h) proved that the
 *                          debug registers fire and signal;
 *   software watchpoints   CONCWATCH_RACE_BACKEND=software, or auto and the
 *                          probe failed (the reason is in the detail);
 *   off                    with the reason: CONCWATCH_RACES=0, CPython or
 *                          ThreadSanitizer (which reports races itself), no
 *                          usable backend, or a later refusal.
 * The detail also says when order alone is not trusted (access_history.h:
 * the program synchronises in ways the shim does not see).
 */
#ifndef CW_RACE_METHOD_H
#define CW_RACE_METHOD_H

#include <stdbool.h>

/* Chooses and starts the backend (sets cw_backend); false, with the `off`
 * record written, when there is none. */
bool cw_race_method_choose(void);
/* Races are off from now on: says why (once per reason) and stops the sampler. */
void cw_race_method_off(const char *why);
/* Says races are off without the sampler ever starting (flags, CPython, TSan). */
void cw_race_method_never(const char *why);
/* The backend in use says something more (e.g. that order alone is not
 * trusted); writes the record again with the detail. */
void cw_race_method_detail(const char *detail);
/* fork(), in the child. */
void cw_race_method_after_fork_child(void);

#endif

/*
 * The `data-race` finding: the variable (name, size, defining line; or the
 * object a thread was started with; or the heap block a pointer leads to),
 * both accesses' stacks (unwound from the signal contexts: "writes `x`
 * (holding mutex M1)"), the locks each side held, and how the pair was
 * proven: simultaneous (one side was held still right after its access
 * while the other made its own), or unordered (no synchronisation the shim
 * saw leads from one access to the other).  Written by the sampler thread
 * while the accessing thread waits.
 */
#ifndef CW_RACE_FINDINGS_H
#define CW_RACE_FINDINGS_H

#include <stdbool.h>

#include "watch_slot.h"

typedef enum cw_race_proof { CW_PROOF_PAUSE, CW_PROOF_ORDER } cw_race_proof;

void cw_race_report(const cw_watch *w, const cw_race_access *a, const cw_race_access *b, cw_race_proof proof);

#endif

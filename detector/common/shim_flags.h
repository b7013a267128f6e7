/*
 * The runtime's settings: every CONCWATCH_* variable and tunable, declared
 * in shim_flags.inc, held in one struct.
 *
 * cw_flags starts out with the defaults (statically initialised: code that
 * runs before the shim's constructor sees sane values) and is filled from
 * the environment once, by cw_shim_flags_read() in the shim's constructor —
 * the only place the runtime reads its environment (the program may change
 * its environment later; what it started with is what counts).
 */
#ifndef CW_SHIM_FLAGS_H
#define CW_SHIM_FLAGS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CW_FLAG_TYPE_BOOL bool
#define CW_FLAG_TYPE_SECONDS uint64_t
#define CW_FLAG_TYPE_MS uint64_t
#define CW_FLAG_TYPE_US uint64_t
#define CW_FLAG_TYPE_PERCENT double
#define CW_FLAG_TYPE_COUNT uint64_t
#define CW_FLAG_TYPE_PATH char
#define CW_FLAG_TYPE_WORD char
#define CW_FLAG_DIM_BOOL
#define CW_FLAG_DIM_SECONDS
#define CW_FLAG_DIM_MS
#define CW_FLAG_DIM_US
#define CW_FLAG_DIM_PERCENT
#define CW_FLAG_DIM_COUNT
#define CW_FLAG_DIM_PATH [PATH_MAX]
#define CW_FLAG_DIM_WORD [32]

typedef struct cw_shim_flags {
#define CW_SHIM_FLAG(field, env, kind, def, min, max, help) CW_FLAG_TYPE_##kind field CW_FLAG_DIM_##kind;
#define CW_LAUNCHER_ENV(env, help)
#include "shim_flags.inc"
#undef CW_SHIM_FLAG
#undef CW_LAUNCHER_ENV
} cw_shim_flags;

extern __attribute__((visibility("hidden"))) cw_shim_flags cw_flags;

/* Fills cw_flags from the environment (getenv: call from the constructor). */
void cw_shim_flags_read(void);

/* The documentation of every variable, as a Markdown table (for
 * `concwatch --help-env` and the README). */
void cw_shim_flags_print_table(FILE *out);

#endif

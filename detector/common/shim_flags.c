#include "shim_flags.h"

#include <stdlib.h>
#include <string.h>

/* Defaults, converted to the stored unit at compile time. */
#define CW_FLAG_INIT_BOOL(def) (def)
#define CW_FLAG_INIT_SECONDS(def) ((uint64_t)((def) * 1e9))
#define CW_FLAG_INIT_MS(def) ((uint64_t)((def) * 1e6))
#define CW_FLAG_INIT_US(def) ((uint64_t)((def) * 1e3))
#define CW_FLAG_INIT_PERCENT(def) (def)
#define CW_FLAG_INIT_COUNT(def) (def)
#define CW_FLAG_INIT_PATH(def) def
#define CW_FLAG_INIT_WORD(def) def

cw_shim_flags cw_flags = {
#define CW_SHIM_FLAG(field, env, kind, def, min, max, help) .field = CW_FLAG_INIT_##kind(def),
#define CW_LAUNCHER_ENV(env, help)
#include "shim_flags.inc"
#undef CW_SHIM_FLAG
#undef CW_LAUNCHER_ENV
};

typedef enum kind { K_BOOL, K_SECONDS, K_MS, K_US, K_PERCENT, K_COUNT, K_PATH, K_WORD, K_LAUNCHER } kind;

typedef struct spec {
    const char *env;
    kind k;
    const char *def;         /* as written in the table */
    double min, max;
    const char *help;
    void *field;
} spec;

static const spec specs[] = {
#define CW_SHIM_FLAG(field, env, kind, def, min, max, help) \
    { env, K_##kind, #def, min, max, help, &cw_flags.field },
#define CW_LAUNCHER_ENV(env, help) { env, K_LAUNCHER, "", 0, 0, help, NULL },
#include "shim_flags.inc"
#undef CW_SHIM_FLAG
#undef CW_LAUNCHER_ENV
};

#define NSPECS (sizeof specs / sizeof specs[0])

static double unit_ns(kind k)
{
    return k == K_SECONDS ? 1e9 : k == K_MS ? 1e6 : k == K_US ? 1e3 : 1;
}

static void read_one(const spec *s)
{
    const char *value = getenv(s->env);
    if (!value || !*value || s->k == K_LAUNCHER)
        return;
    if (s->k == K_BOOL) {
        *(bool *)s->field = strcmp(value, "0") != 0;
        return;
    }
    if (s->k == K_PATH) {
        if (strlen(value) < PATH_MAX)
            strcpy((char *)s->field, value);
        return;
    }
    if (s->k == K_WORD) {
        if (strlen(value) < 32)
            strcpy((char *)s->field, value);
        return;
    }
    char *end;
    double v = strtod(value, &end);
    if (end == value || *end || !(v >= s->min && v <= s->max))
        return;   /* unparsable or out of range: the default stays */
    if (s->k == K_PERCENT)
        *(double *)s->field = v;
    else
        *(uint64_t *)s->field = (uint64_t)(v * unit_ns(s->k));
}

void cw_shim_flags_read(void)
{
    for (size_t i = 0; i < NSPECS; i++)
        read_one(&specs[i]);
}

static const char *unit_name(kind k)
{
    switch (k) {
    case K_SECONDS: return " s";
    case K_MS: return " ms";
    case K_US: return " us";
    case K_PERCENT: return " %";
    default: return "";
    }
}

void cw_shim_flags_print_table(FILE *out)
{
    fputs("| variable | default | meaning |\n|---|---|---|\n", out);
    for (size_t i = 0; i < NSPECS; i++) {
        const spec *s = &specs[i];
        const char *def = s->def;
        char shown[64];
        if (s->k == K_PATH || s->k == K_LAUNCHER)
            snprintf(shown, sizeof shown, "unset");
        else if (s->k == K_WORD)
            snprintf(shown, sizeof shown, "%.*s", (int)strlen(def) - 2, def + 1);   /* without the quotes */
        else
            snprintf(shown, sizeof shown, "%s%s", def, unit_name(s->k));
        fprintf(out, "| `%s` | %s | %s |\n", s->env, shown, s->help);
    }
}

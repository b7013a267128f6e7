/* Option parsing and --help, generated from options.inc. */
#include "options.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "help_text.h"

#define USAGE "usage: concwatch [OPTIONS] [--] PROGRAM [ARGS...]"

typedef struct option_spec {
    const char *long_name;
    char short_name;
    const char *metavar;      /* NULL: a flag */
    const char *default_value;
    const char *help;
    size_t offset;            /* of the field in cw_options */
} option_spec;

static const option_spec specs[] = {
#define CW_VALUE(field, long_name, short_name, metavar, default_value, help) \
    { long_name, short_name, metavar, default_value, help, offsetof(cw_options, field) },
#define CW_FLAG(field, long_name, short_name, help) \
    { long_name, short_name, NULL, NULL, help, offsetof(cw_options, field) },
#include "options.inc"
#undef CW_VALUE
#undef CW_FLAG
};

#define NSPECS (sizeof specs / sizeof specs[0])

static void usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "concwatch: %s '%s' (try 'concwatch --help')\n", what, arg);
}

static const option_spec *find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < NSPECS; i++)
        if (strlen(specs[i].long_name) == len && strncmp(specs[i].long_name, name, len) == 0)
            return &specs[i];
    return NULL;
}

static const option_spec *find_short(char c)
{
    for (size_t i = 0; i < NSPECS; i++)
        if (specs[i].short_name && specs[i].short_name == c)
            return &specs[i];
    return NULL;
}

static void set_flag(cw_options *opts, const option_spec *s)
{
    *(bool *)((char *)opts + s->offset) = true;
}

static void set_value(cw_options *opts, const option_spec *s, const char *value)
{
    *(const char **)((char *)opts + s->offset) = value;
}

/* One option argument at argv[*i]; advances *i past a separate value. */
static bool parse_one(cw_options *opts, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    const char *inline_value = NULL;
    const option_spec *s;
    if (arg[1] == '-') {
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        s = find_long(name, eq ? (size_t)(eq - name) : strlen(name));
        inline_value = eq ? eq + 1 : NULL;
    } else {
        s = arg[2] == '\0' ? find_short(arg[1]) : NULL;
    }
    if (!s) {
        usage_error("unknown option", arg);
        return false;
    }
    if (!s->metavar) {
        if (inline_value) {
            usage_error("option takes no value", arg);
            return false;
        }
        set_flag(opts, s);
        return true;
    }
    if (!inline_value) {
        if (*i + 1 >= argc) {
            fprintf(stderr, "concwatch: option '%s' needs a value (%s)\n", arg, s->metavar);
            return false;
        }
        inline_value = argv[++*i];
    }
    set_value(opts, s, inline_value);
    return true;
}

bool cw_options_parse(cw_options *opts, int argc, char **argv)
{
    memset(opts, 0, sizeof *opts);
    for (size_t k = 0; k < NSPECS; k++)
        if (specs[k].metavar)
            set_value(opts, &specs[k], specs[k].default_value);
    int i = 1;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0')
            break;                      /* PROGRAM */
        if (!parse_one(opts, argc, argv, &i))
            return false;
    }
    opts->program_argv = argv + i;
    opts->program_argc = argc - i;
    return true;
}

static bool positive_seconds(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    return end != s && *end == '\0' && isfinite(v) && v > 0;
}

/* What the run and merge share: the reports and their looks. */
static bool validate_outputs(const cw_options *opts)
{
    if (opts->json && opts->sarif && strcmp(opts->json, "-") == 0 && strcmp(opts->sarif, "-") == 0) {
        fputs("concwatch: --json - and --sarif -: only one report can go to standard output\n", stderr);
        return false;
    }
    if (strcmp(opts->color, "auto") != 0 && strcmp(opts->color, "always") != 0 &&
        strcmp(opts->color, "never") != 0) {
        fprintf(stderr, "concwatch: --color wants auto, always or never, not '%s'\n", opts->color);
        return false;
    }
    return true;
}

bool cw_options_validate_merge(const cw_options *opts)
{
    if (!validate_outputs(opts))
        return false;
    if (opts->program_argc == 0) {
        fputs("concwatch: merge: no report to merge (usage: concwatch merge [OPTIONS] REPORT.json...)\n",
              stderr);
        return false;
    }
    return true;
}

bool cw_options_validate(const cw_options *opts)
{
    if (!validate_outputs(opts))
        return false;
    if (!positive_seconds(opts->hang_after)) {
        fprintf(stderr, "concwatch: --hang-after wants a positive number of seconds, not '%s'\n",
                opts->hang_after);
        return false;
    }
    if (opts->program_argc == 0) {
        fputs("concwatch: no program to run (" USAGE ")\n", stderr);
        return false;
    }
    return true;
}

static void print_option(FILE *out, const option_spec *s)
{
    char left[64];
    int n = 0;
    if (s->short_name)
        n = snprintf(left, sizeof left, "-%c, ", s->short_name);
    snprintf(left + n, sizeof left - (size_t)n, "--%s%s%s", s->long_name,
             s->metavar ? " " : "", s->metavar ? s->metavar : "");
    fprintf(out, "  %-22s %s", left, s->help);
    if (s->default_value)
        fprintf(out, " (default %s)", s->default_value);
    fputc('\n', out);
}

void cw_options_print_help(FILE *out)
{
    fputs(CW_HELP_USAGE "\n" CW_HELP_DESCRIPTION "\noptions:\n", out);
    for (size_t i = 0; i < NSPECS; i++)
        print_option(out, &specs[i]);
    fputs("\noutput:\n" CW_HELP_OUTPUT "\nexit status:\n" CW_HELP_EXIT
          "\nenvironment:\n" CW_HELP_ENVIRONMENT "\nexamples:\n" CW_HELP_EXAMPLES, out);
}

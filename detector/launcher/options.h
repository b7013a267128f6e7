/*
 * concwatch's command line: [OPTIONS] [--] PROGRAM [ARGS...].
 * The options themselves are declared in options.inc.  Parsing stops at "--"
 * or at the first argument that is not an option: everything from there on is
 * the program's, so `concwatch ./prog -q` passes -q to ./prog.
 */
#ifndef CW_OPTIONS_H
#define CW_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

typedef struct cw_options {
#define CW_VALUE(field, long_name, short_name, metavar, default_value, help) const char *field;
#define CW_FLAG(field, long_name, short_name, help) bool field;
#include "options.inc"
#undef CW_VALUE
#undef CW_FLAG
    char **program_argv;      /* NULL-terminated; points into main's argv */
    int program_argc;         /* 0 if no PROGRAM was given */
} cw_options;

/* Fills *opts (defaults first).  On a usage error prints one line to stderr
   and returns false. */
bool cw_options_parse(cw_options *opts, int argc, char **argv);

/* Checks values and the presence of PROGRAM (call unless --help/--version);
   prints one line and returns false on a usage error. */
bool cw_options_validate(const cw_options *opts);

/* The same for `concwatch merge` (argv[0] "merge"): the REPORT files are
   program_argv. */
bool cw_options_validate_merge(const cw_options *opts);

void cw_options_print_help(FILE *out);

#endif

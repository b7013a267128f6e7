/*
 * The prose of concwatch's --help, shared with its man page (manpage.c), so
 * that the two cannot say different things.  Each text is lines of at most 78
 * columns ending in '\n'; a blank line separates paragraphs (the examples
 * are shown as they are).  The option list
 * itself comes from options.inc, the environment variables from
 * common/shim_flags.inc.
 */
#ifndef CW_HELP_TEXT_H
#define CW_HELP_TEXT_H

#define CW_HELP_USAGE                                                              \
    "usage: concwatch [OPTIONS] [--] PROGRAM [ARGS...]\n"                          \
    "       concwatch merge [OPTIONS] REPORT.json...\n"

#define CW_HELP_DESCRIPTION                                                        \
    "Runs PROGRAM with concwatch's shim preloaded and reports self-deadlocks,\n"   \
    "lock-order inversions (potential deadlocks), hangs, lock API misuse and data\n" \
    "races, with symbolized stacks and the locks named as the code names them.\n"  \
    "`concwatch merge` folds the JSON reports of many runs into one report of\n"   \
    "distinct findings, each with the number of runs and processes it came from.\n"

#define CW_HELP_OUTPUT                                                             \
    "The text report goes to standard error once the program has ended (merge:\n"  \
    "to standard output).  --json and --sarif write their report after the\n"      \
    "program ends.  With '-' (standard output) the report is the only thing on\n"  \
    "standard output: the program's own standard output is sent to standard\n"    \
    "error instead, so `concwatch --json - ./prog | jq` always reads clean JSON.\n" \
    "Only one of --json and --sarif can be '-'.  Colour (--color auto): when the\n" \
    "text report goes to a terminal, NO_COLOR is unset or empty and TERM is not\n"  \
    "dumb.  A program named merge runs as `concwatch -- merge`.\n"

#define CW_HELP_EXIT                                                               \
    "66 when any finding was reported; else the program's own status (128+N\n"   \
    "when it died of signal N); 2 for concwatch's own usage errors (also:\n"      \
    "PROGRAM statically linked, shim or report path unusable, a report that\n"    \
    "merge cannot read); 127 when PROGRAM is not found, 126 when it cannot be\n"  \
    "executed.  merge: 66 when the merged report has findings, else 0.\n"

#define CW_HELP_EXAMPLES                                                           \
    "  concwatch ./prog args                   the text report on standard error\n" \
    "  concwatch python3 app.py                a Python program\n"                \
    "  concwatch --json run.json ./prog        and a JSON report\n"                \
    "  concwatch --sarif - ./prog > out.sarif  SARIF for a code-scanning dashboard\n" \
    "  concwatch merge --sarif all.sarif runs/*.json   one report of many runs\n"

#define CW_HELP_ENVIRONMENT                                                        \
    "CONCWATCH_SHIM=PATH uses that libconcwatch.so; NO_COLOR (non-empty) turns\n" \
    "colour off under --color auto; every CONCWATCH_* variable: --help-env.\n"

#endif

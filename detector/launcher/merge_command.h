/*
 * concwatch merge [OPTIONS] REPORT.json...
 *
 * Many runs, one report: reads the JSON reports of many concwatch runs
 * (json_reader.h), folds them into one list of distinct findings with how
 * many runs and processes each came from (merge.h), applies --suppressions,
 * and writes the text report (standard output, or standard error when a
 * report takes standard output) and the --json / --sarif reports asked for.
 * --source-root is where the reports' relative file names are taken from
 * (default: the current directory), for SARIF.  --hang-after is ignored.
 *
 * Exit status: 66 when the merged report has findings, 0 when it has none,
 * 2 for a usage error or a report that cannot be read.
 */
#ifndef CW_MERGE_COMMAND_H
#define CW_MERGE_COMMAND_H

/* argv[0] is "merge". */
int cw_merge_command(int argc, char **argv, const char *version);

#endif

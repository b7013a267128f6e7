/*
 * concwatch [OPTIONS] [--] PROGRAM [ARGS...]
 * concwatch merge [OPTIONS] REPORT.json...      (merge_command.h)
 *
 * The launcher, step by step: check everything the user could have gotten
 * wrong before the program runs (options, suppressions file, PROGRAM, shim,
 * --json / --sarif paths, --source-root), run PROGRAM with the shim
 * preloaded, then report what the shim found.  Exit status: 66 if anything
 * was reported, else the program's.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_program.h"
#include "common/record_format.h"
#include "common/shim_flags.h"
#include "locate_shim.h"
#include "merge_command.h"
#include "options.h"
#include "report_dir.h"
#include "report_findings.h"
#include "run_program.h"

#ifndef CW_VERSION
#define CW_VERSION "0.0.0"
#endif

/* Everything prepared before the program runs; owned here. */
typedef struct launch {
    cw_suppressions *suppressions;
    char *program_path;
    char *shim;
    cw_report_outputs outputs;
    char *report_dir;
    char *cwd;
    char *source_root;
} launch;

static void launch_free(launch *l)
{
    cw_suppressions_free(l->suppressions);
    free(l->program_path);
    free(l->shim);
    cw_report_outputs_close(&l->outputs);
    free(l->report_dir);
    free(l->cwd);
    free(l->source_root);
}

/* Returns 0, or the exit status of the first problem (after printing it). */
static int prepare(const cw_options *opts, launch *l)
{
    char why[1024];
    if (opts->suppressions &&
        !(l->suppressions = cw_suppressions_load(opts->suppressions, why, sizeof why))) {
        fprintf(stderr, "concwatch: suppressions: %s\n", why);
        return CW_EXIT_USAGE;
    }
    cw_program_status st = cw_check_program(opts->program_argv[0], &l->program_path, why, sizeof why);
    if (st != CW_PROGRAM_OK) {
        fprintf(stderr, "concwatch: %s\n", why);
        return cw_program_status_exit_code(st);
    }
    if (!(l->shim = cw_locate_shim(why, sizeof why))) {
        fprintf(stderr, "concwatch: %s\n", why);
        return CW_EXIT_USAGE;
    }
    if (!(l->source_root = cw_source_root(opts->source_root)))
        return CW_EXIT_USAGE;
    /* Opened now: an unwritable path must stop us before the program runs. */
    if (!cw_report_outputs_open(&l->outputs, opts, false))
        return CW_EXIT_USAGE;
    if (!(l->report_dir = cw_report_dir_create(why, sizeof why))) {
        fprintf(stderr, "concwatch: %s\n", why);
        return CW_EXIT_USAGE;
    }
    l->cwd = getcwd(NULL, 0);
    return 0;
}

static int run_and_report(const cw_options *opts, launch *l)
{
    cw_run_request run = {
        .argv = opts->program_argv, .path = l->program_path, .shim = l->shim,
        .report_dir = l->report_dir, .hang_after = opts->hang_after,
    };
    char err[1024];
    int status = cw_run_program(&run, err, sizeof err);
    if (err[0])
        fprintf(stderr, "concwatch: %s\n", err);
    cw_report_request report = {
        .report_dir = l->report_dir, .suppressions = l->suppressions,
        .outputs = &l->outputs, .quiet = opts->quiet,
        .run = { .version = CW_VERSION, .command = opts->program_argv,
                 .ncommand = opts->program_argc, .exit_status = status,
                 .base_dir = l->source_root, .cwd = l->cwd },
    };
    long reported = cw_report_findings(&report);
    cw_report_dir_remove(l->report_dir);
    return reported > 0 ? CW_EXIT_FINDINGS : status;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "merge") == 0)
        return cw_merge_command(argc - 1, argv + 1, CW_VERSION);
    cw_options opts;
    if (!cw_options_parse(&opts, argc, argv))
        return CW_EXIT_USAGE;
    if (opts.help) {
        cw_options_print_help(stdout);
        return 0;
    }
    if (opts.help_env) {
        cw_shim_flags_print_table(stdout);
        return 0;
    }
    if (opts.version) {
        printf("concwatch %s\n", CW_VERSION);
        return 0;
    }
    if (!cw_options_validate(&opts))
        return CW_EXIT_USAGE;
    launch l = { 0 };
    int status = prepare(&opts, &l);
    if (status == 0)
        status = run_and_report(&opts, &l);
    launch_free(&l);
    return status;
}

/* concwatch merge; see merge_command.h. */
#include "merge_command.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/record_format.h"
#include "options.h"
#include "report/json_reader.h"
#include "report/merge.h"
#include "report/render_text.h"
#include "report/xalloc.h"
#include "report_findings.h"
#include "report_outputs.h"

static int merge(const cw_options *opts, const cw_suppressions *sup, cw_report_outputs *outputs,
                 const char *root, const char *version)
{
    int n = opts->program_argc;
    cw_finding_list *reports = cw_xcalloc((size_t)n, sizeof *reports);
    size_t suppressed = 0;
    int status = 0;
    for (int i = 0; i < n && status == 0; i++) {
        char err[1024];
        if (!cw_read_json_report(opts->program_argv[i], &reports[i], &suppressed, err, sizeof err)) {
            fprintf(stderr, "concwatch: merge: %s\n", err);
            status = CW_EXIT_USAGE;
        }
    }
    cw_finding_list merged = { 0 };
    cw_merge_reports(reports, (size_t)n, &merged);
    for (int i = 0; i < n; i++)
        cw_finding_list_free(&reports[i]);
    free(reports);
    if (status == 0) {
        suppressed += cw_suppressions_apply(sup, &merged);
        cw_render_text(outputs->text, &merged, NULL, outputs->color);
        if (!opts->quiet)
            cw_print_banner("merged", merged.n, suppressed);
        cw_run_info run = {
            .version = version, .suppressed = suppressed, .base_dir = root, .cwd = root,
            .merged = opts->program_argv, .nmerged = n,
        };
        cw_report_outputs_write(outputs, &merged, &run);
        status = merged.n > 0 ? CW_EXIT_FINDINGS : 0;
    }
    cw_finding_list_free(&merged);
    return status;
}

int cw_merge_command(int argc, char **argv, const char *version)
{
    cw_options opts;
    if (!cw_options_parse(&opts, argc, argv))
        return CW_EXIT_USAGE;
    if (opts.help) {
        cw_options_print_help(stdout);
        return 0;
    }
    if (!cw_options_validate_merge(&opts))
        return CW_EXIT_USAGE;
    char why[1024];
    cw_suppressions *sup = NULL;
    if (opts.suppressions && !(sup = cw_suppressions_load(opts.suppressions, why, sizeof why))) {
        fprintf(stderr, "concwatch: suppressions: %s\n", why);
        return CW_EXIT_USAGE;
    }
    char *root = cw_source_root(opts.source_root);
    cw_report_outputs outputs;
    int status = CW_EXIT_USAGE;
    if (root && cw_report_outputs_open(&outputs, &opts, true)) {
        status = merge(&opts, sup, &outputs, root, version);
        cw_report_outputs_close(&outputs);
    }
    free(root);
    cw_suppressions_free(sup);
    return status;
}

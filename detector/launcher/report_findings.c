/* Findings files -> text, JSON and SARIF reports; see report_findings.h. */
#include "report_findings.h"

#include <errno.h>
#include <string.h>

#include "report/dedupe.h"
#include "report/finding_reader.h"
#include "report/lock_names.h"
#include "report/render_text.h"
#include "report/symbolizer.h"
#include "report/tsan_reports.h"

static void read_findings(const char *dir, cw_finding_list *list, const char *base_dir)
{
    if (cw_read_findings_dir(dir, list) < 0)
        fprintf(stderr, "concwatch: cannot read the findings in %s: %s\n", dir, strerror(errno));
    cw_read_tsan_reports(dir, list, stderr);
    cw_finding_list_dedupe(list);
    cw_symbolizer *sym = cw_symbolizer_new();
    cw_symbolize_findings(sym, list);
    cw_name_locks(sym, list, base_dir);
    cw_symbolizer_free(sym);
}

void cw_print_banner(const char *what, size_t reported, size_t suppressed)
{
    if (reported == 0 && suppressed == 0)
        return;
    fprintf(stderr, "concwatch: %s %zu finding%s", what, reported, reported == 1 ? "" : "s");
    if (suppressed)
        fprintf(stderr, " (%zu suppressed)", suppressed);
    fputc('\n', stderr);
}

long cw_report_findings(const cw_report_request *req)
{
    cw_finding_list list = { 0 };
    read_findings(req->report_dir, &list, req->run.base_dir);
    size_t suppressed = cw_suppressions_apply(req->suppressions, &list);
    if (!req->quiet)
        cw_render_text_header(req->outputs->text, &list);
    cw_render_text(req->outputs->text, &list, req->run.base_dir, req->outputs->color);
    if (!req->quiet)
        cw_print_banner("reported", list.n, suppressed);
    cw_run_info run = req->run;
    run.suppressed = suppressed;
    cw_report_outputs_write(req->outputs, &list, &run);
    long reported = (long)list.n;
    cw_finding_list_free(&list);
    return reported;
}

/* Findings files -> text and JSON reports; see report_findings.h. */
#include "report_findings.h"

#include <errno.h>
#include <string.h>

#include "report/dedupe.h"
#include "report/finding_reader.h"
#include "report/render_text.h"
#include "report/symbolizer.h"
#include "report/tsan_reports.h"

static void read_findings(const char *dir, cw_finding_list *list)
{
    if (cw_read_findings_dir(dir, list) < 0)
        fprintf(stderr, "concwatch: cannot read the findings in %s: %s\n", dir, strerror(errno));
    cw_read_tsan_reports(dir, list, stderr);
    cw_finding_list_dedupe(list);
    cw_symbolizer *sym = cw_symbolizer_new();
    cw_symbolize_findings(sym, list);
    cw_symbolizer_free(sym);
}

static void print_banner(size_t reported, size_t suppressed)
{
    if (reported == 0 && suppressed == 0)
        return;
    fprintf(stderr, "concwatch: reported %zu finding%s", reported, reported == 1 ? "" : "s");
    if (suppressed)
        fprintf(stderr, " (%zu suppressed)", suppressed);
    fputc('\n', stderr);
}

static void write_json(const cw_report_request *req, const cw_finding_list *list, size_t suppressed)
{
    cw_run_info run = req->run;
    run.suppressed = suppressed;
    cw_render_json(req->json, list, &run);
    bool failed = fflush(req->json) != 0 || ferror(req->json);
    if (req->json != stdout)
        failed |= fclose(req->json) != 0;
    if (failed)
        fprintf(stderr, "concwatch: cannot write the JSON report to %s: %s\n",
                req->json_name, strerror(errno));
}

long cw_report_findings(const cw_report_request *req)
{
    cw_finding_list list = { 0 };
    read_findings(req->report_dir, &list);
    size_t suppressed = cw_suppressions_apply(req->suppressions, &list);
    cw_render_text(stderr, &list, req->run.base_dir);
    if (!req->quiet)
        print_banner(list.n, suppressed);
    if (req->json)
        write_json(req, &list, suppressed);
    long reported = (long)list.n;
    cw_finding_list_free(&list);
    return reported;
}

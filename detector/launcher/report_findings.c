/* Findings files -> text, JSON and SARIF reports; see report_findings.h. */
#define _GNU_SOURCE
#include "report_findings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process_tree.h"
#include "report/cross_process.h"
#include "report/dedupe.h"
#include "report/finding_reader.h"
#include "report/lock_names.h"
#include "report/paths.h"
#include "report/process_status.h"
#include "report/render_text.h"
#include "report/symbolizer.h"
#include "report/tsan_reports.h"
#include "report/xalloc.h"

/* In a run of several processes, each finding names the processes it was
 * seen in (the same finding in several is one: dedupe keeps their pids). */
static void label_findings(cw_finding_list *list, const cw_process_list *procs)
{
    if (procs->n < 2)
        return;
    for (size_t i = 0; i < list->n; i++) {
        cw_finding *f = &list->items[i];
        for (size_t k = 0; k <= f->nother_pids; k++) {
            long pid = k == 0 ? f->pid : f->other_pids[k - 1];
            const cw_process *p = cw_process_find(procs, pid);
            char *note = NULL;
            if (asprintf(&note, "%s process %ld: %s", k == 0 ? "in" : "also in", pid,
                         p && p->command ? p->command : "(command line unknown)") < 0)
                continue;
            *(char **)cw_array_push(&f->notes, &f->nnotes, sizeof note) = note;
        }
    }
}

static void read_findings(const char *dir, cw_finding_list *list, cw_process_list *procs, cw_symbolizer *sym,
                          const char *base_dir)
{
    if (cw_read_findings_dir(dir, list) < 0)
        fprintf(stderr, "concwatch: cannot read the findings in %s: %s\n", dir, strerror(errno));
    cw_cross_process_cycles(dir, list);
    cw_read_tsan_reports(dir, list, stderr);
    cw_finding_list_dedupe(list);
    cw_read_process_status(dir, procs);
    label_findings(list, procs);
    cw_symbolize_findings(sym, list);
    cw_name_locks(sym, list, base_dir);
}

/* The tool's own troubles, after the findings: each an internal error of
 * concwatch (a test failure), except programs it could not watch. */
static size_t report_tool_status(cw_process_list *procs, cw_symbolizer *sym, const char *base_dir)
{
    size_t errors = 0;
    for (size_t i = 0; i < procs->n; i++) {
        cw_process *p = &procs->items[i];
        const char *cmd = p->command ? p->command : "?";
        if (p->crashed) {
            errors++;
            fprintf(stderr, "concwatch: internal error in process %ld (%s): concwatch's shim crashed (%s at %s, %s%s)"
                            ": a bug in concwatch, not in the program. Its stack:\n",
                    p->pid, cmd, p->crash_signal ? p->crash_signal : "?", p->crash_address ? p->crash_address : "?",
                    p->crash_on_helper ? "on its own thread " : "in the program's thread ",
                    p->crash_thread ? p->crash_thread : "?");
            cw_symbolize_frames(sym, &p->crash_frames, &p->ncrash_frames);
            for (size_t k = 0; k < p->ncrash_frames; k++) {
                const cw_frame *fr = &p->crash_frames[k];
                const char *file = fr->file ? cw_display_path(fr->file, base_dir) : NULL;
                fprintf(stderr, "    #%zu %s", k, fr->function ? fr->function : "??");
                if (file)
                    fprintf(stderr, " %s:%d", file, fr->line);
                fprintf(stderr, " (%s+0x%llx)\n", fr->module ? cw_basename(fr->module) : "?",
                        (unsigned long long)fr->vaddr);
            }
        } else if (p->off_reason) {
            errors++;
            fprintf(stderr, "concwatch: internal error in process %ld (%s): %s; concwatch was off for the rest of that "
                            "process, which ran on unwatched\n", p->pid, cmd, p->off_reason);
        }
    }
    /* Once per program, however often it was started. */
    for (size_t i = 0; i < procs->nunwatched; i++) {
        const cw_unwatched *u = &procs->unwatched[i];
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = procs->unwatched[k].path && u->path && strcmp(procs->unwatched[k].path, u->path) == 0;
        if (seen)
            continue;
        const cw_process *by = cw_process_find(procs, u->pid);
        const cw_process *parent = cw_process_find(procs, u->ppid);
        if (by && by->command)
            fprintf(stderr, "concwatch: not watched: %s (%s), started by process %ld (%s)\n",
                    u->path ? u->path : "?", u->reason ? u->reason : "?", u->pid, by->command);
        else
            fprintf(stderr, "concwatch: not watched: %s (%s), started by process %ld, a child of process %ld (%s)\n",
                    u->path ? u->path : "?", u->reason ? u->reason : "?", u->pid, u->ppid,
                    parent && parent->command ? parent->command : "?");
    }
    return errors;
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
    cw_process_list procs = { 0 };
    cw_symbolizer *sym = cw_symbolizer_new();
    read_findings(req->report_dir, &list, &procs, sym, req->run.base_dir);
    size_t suppressed = cw_suppressions_apply(req->suppressions, &list);
    if (!req->quiet)
        cw_render_text_header(req->outputs->text, &list);
    cw_render_text(req->outputs->text, &list, req->run.base_dir, req->outputs->color);
    if (!req->quiet)
        cw_print_banner("reported", list.n, suppressed);
    size_t errors = report_tool_status(&procs, sym, req->run.base_dir);
    cw_run_info run = req->run;
    run.suppressed = suppressed;
    run.internal_errors = errors + cw_watchdog_kills();   /* they wrote no status of their own */
    cw_report_outputs_write(req->outputs, &list, &run);
    long reported = (long)list.n;
    cw_finding_list_free(&list);
    cw_process_list_free(&procs);
    cw_symbolizer_free(sym);
    return reported;
}

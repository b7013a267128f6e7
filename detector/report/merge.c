/* Folding reports; see merge.h. */
#include "merge.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dedupe.h"
#include "xalloc.h"

/* Per kept finding: its hash, and the last report and the pids of that
   report it was seen in (reports are folded one after the other, so
   "already counted" only needs the current report's pids). */
typedef struct tally {
    uint64_t hash;
    size_t last_report;      /* index + 1; 0: none yet */
    long *pids;              /* pids seen in last_report */
    size_t npids;
} tally;

static void count(cw_finding *kept, tally *t, const cw_finding *f, size_t report)
{
    if (f->runs > 0) {                       /* already a merge: its own counts */
        kept->runs += f->runs;
        kept->processes += f->processes;
        return;
    }
    if (t->last_report != report + 1) {
        t->last_report = report + 1;
        t->npids = 0;
        kept->runs++;
    }
    for (size_t i = 0; i < t->npids; i++)
        if (t->pids[i] == f->pid)
            return;
    *(long *)cw_array_push(&t->pids, &t->npids, sizeof(long)) = f->pid;
    kept->processes++;
}

void cw_merge_reports(cw_finding_list *reports, size_t n, cw_finding_list *out)
{
    tally *tallies = NULL;
    size_t ntallies = 0;
    for (size_t r = 0; r < n; r++) {
        cw_finding_list *report = &reports[r];
        for (size_t i = 0; i < report->n; i++) {
            cw_finding *f = &report->items[i];
            uint64_t h = cw_finding_hash(f);
            size_t k = 0;
            while (k < out->n && !(tallies[k].hash == h && cw_same_finding(&out->items[k], f)))
                k++;
            if (k == out->n) {
                cw_finding *kept = cw_array_push(&out->items, &out->n, sizeof *kept);
                *kept = *f;
                kept->runs = kept->processes = 0;
                tally *t = cw_array_push(&tallies, &ntallies, sizeof *t);
                t->hash = h;
                count(kept, t, f, r);
                memset(f, 0, sizeof *f);        /* moved */
            } else {
                count(&out->items[k], &tallies[k], f, r);
                cw_finding_clear(f);
            }
        }
        free(report->items);
        report->items = NULL;
        report->n = 0;
    }
    for (size_t k = 0; k < ntallies; k++)
        free(tallies[k].pids);
    free(tallies);
}

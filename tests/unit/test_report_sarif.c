/*
 * Fingerprints (fingerprint.h), the SARIF renderer's paths (render_sarif.h),
 * the merge of reports (merge.h) and the symbolized-frame rule of dedupe.h.
 *   test_report_sarif PYTHON    PYTHON parses the SARIF back ("-": skip that)
 * (The SARIF of real runs is validated against the schema by tests/check_sarif.py.)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report/dedupe.h"
#include "report/fingerprint.h"
#include "report/merge.h"
#include "report/render_sarif.h"
#include "report/xalloc.h"

static void frame(cw_stack *s, const char *module, uint64_t vaddr, const char *function, const char *file,
                  int line)
{
    cw_frame *f = cw_array_push(&s->frames, &s->nframes, sizeof *f);
    f->module = cw_xstrdup(module);
    f->vaddr = vaddr;
    f->is_return = true;
    f->function = cw_xstrdup(function);
    f->file = cw_xstrdup(file);
    f->line = line;
}

/* An ABBA finding as one run reports it; the knobs are what differs between
   runs and machines. */
typedef struct variant {
    const char *dir;          /* build / source directory */
    uint64_t shift;           /* addresses */
    long pid;
    const char *t1, *t2;      /* thread labels */
    int line_shift;           /* an edit above the code */
    bool swap;                /* the stacks in the other order */
    const char *edge_function;
} variant;

static void make_finding(cw_finding *f, const variant *v)
{
    char module[256], file[256], message[256];
    snprintf(module, sizeof module, "%s/build/abba", v->dir);
    snprintf(file, sizeof file, "%s/src/abba.c", v->dir);
    snprintf(message, sizeof message, "cycle M1 -> M2 -> M1 in the lock order of threads %s, %s", v->t1, v->t2);
    f->kind = cw_xstrdup("lock-order-inversion");
    f->message = cw_xstrdup(message);
    f->pid = v->pid;
    for (int k = 0; k < 2; k++) {
        int i = v->swap ? 1 - k : k;
        cw_stack *s = cw_array_push(&f->stacks, &f->nstacks, sizeof *s);
        s->thread = cw_xstrdup(i == 0 ? v->t1 : v->t2);
        s->role = cw_xstrdup("acquires");
        frame(s, module, 0x1193 + v->shift, v->edge_function, file, 35 + v->line_shift);
        frame(s, module, 0x11f2 + v->shift + (uint64_t)i, i == 0 ? "alice_pays_bob" : "bob_pays_alice", file,
              45 + i * 7 + v->line_shift);
        frame(s, "/lib/x86_64-linux-gnu/libc.so.6", 0x891f5, "start_thread", NULL, 0);
    }
}

static void fingerprint_of(const variant *v, char out[CW_FINGERPRINT_LEN + 1])
{
    cw_finding f = { 0 };
    make_finding(&f, v);
    cw_finding_fingerprint(&f, out);
    cw_finding_clear(&f);
}

static void test_fingerprints(void)
{
    const variant base = { "/home/a", 0, 100, "T1", "T2", 0, false, "transfer" };
    char a[CW_FINGERPRINT_LEN + 1], b[CW_FINGERPRINT_LEN + 1];
    fingerprint_of(&base, a);
    CHECK(strlen(a) == CW_FINGERPRINT_LEN && strspn(a, "0123456789abcdef") == CW_FINGERPRINT_LEN);

    /* Another machine, build, process, thread numbering, an edit above, the
       other stack first: the same bug, the same fingerprint. */
    variant same = { "/builds/ci/x", 0x10000, 4242, "T7", "T9", 12, true, "transfer" };
    fingerprint_of(&same, b);
    CHECK(strcmp(a, b) == 0);

    /* Another function where the program's code meets the bug: another bug. */
    variant other = base;
    other.edge_function = "transfer_all";
    fingerprint_of(&other, b);
    CHECK(strcmp(a, b) != 0);

    /* Another kind. */
    cw_finding f = { 0 };
    make_finding(&f, &base);
    free(f.kind);
    f.kind = cw_xstrdup("deadlock");
    cw_finding_fingerprint(&f, b);
    CHECK(strcmp(a, b) != 0);
    cw_finding_clear(&f);

    /* Nothing symbolized: the message without its digits. */
    cw_finding g = { .kind = cw_xstrdup("misuse"), .message = cw_xstrdup("T1 unlocks mutex M1 held by T2") };
    cw_finding h = { .kind = cw_xstrdup("misuse"), .message = cw_xstrdup("T5 unlocks mutex M1 held by T8") };
    cw_finding_fingerprint(&g, a);
    cw_finding_fingerprint(&h, b);
    CHECK(strcmp(a, b) == 0);
    cw_finding_clear(&g);
    cw_finding_clear(&h);
}

/* Symbolized frames are the same code wherever the build lives. */
static void test_dedupe_rule(void)
{
    variant v = { "/home/a", 0, 1, "T1", "T2", 0, false, "transfer" };
    cw_finding x = { 0 }, y = { 0 };
    make_finding(&x, &v);
    v.dir = "/builds/b";
    v.shift = 0x40;
    v.pid = 2;
    make_finding(&y, &v);
    CHECK(cw_same_finding(&x, &y) && cw_finding_hash(&x) == cw_finding_hash(&y));
    cw_finding_clear(&y);
    v.line_shift = 1;                       /* another line: not the same */
    make_finding(&y, &v);
    CHECK(!cw_same_finding(&x, &y));
    cw_finding_clear(&x);
    cw_finding_clear(&y);

    /* Unsymbolized frames: module and address, as before symbolization. */
    cw_finding p = { .kind = cw_xstrdup("misuse") }, q = { .kind = cw_xstrdup("misuse") };
    cw_stack *s = cw_array_push(&p.stacks, &p.nstacks, sizeof *s);
    frame(s, "/a/prog", 0x10, NULL, NULL, 0);
    s = cw_array_push(&q.stacks, &q.nstacks, sizeof *s);
    frame(s, "/b/prog", 0x10, NULL, NULL, 0);
    CHECK(!cw_same_finding(&p, &q));
    cw_finding_clear(&p);
    cw_finding_clear(&q);
}

static void test_merge(void)
{
    cw_finding_list reports[3] = { { 0 } };
    variant v = { "/home/a", 0, 10, "T1", "T2", 0, false, "transfer" };
    make_finding(cw_array_push(&reports[0].items, &reports[0].n, sizeof(cw_finding)), &v);
    v.pid = 11;                                               /* a child of the same run */
    make_finding(cw_array_push(&reports[0].items, &reports[0].n, sizeof(cw_finding)), &v);
    v.dir = "/builds/b";                                      /* another machine */
    v.pid = 10;
    make_finding(cw_array_push(&reports[1].items, &reports[1].n, sizeof(cw_finding)), &v);
    v.edge_function = "other";                                /* another bug */
    make_finding(cw_array_push(&reports[2].items, &reports[2].n, sizeof(cw_finding)), &v);
    cw_finding *pre = cw_array_push(&reports[2].items, &reports[2].n, sizeof(cw_finding));
    v.edge_function = "transfer";                             /* from a merged report */
    make_finding(pre, &v);
    pre->runs = 5;
    pre->processes = 7;
    cw_finding_list out = { 0 };
    cw_merge_reports(reports, 3, &out);
    CHECK(out.n == 2);
    CHECK(out.n == 2 && out.items[0].runs == 2 + 5 && out.items[0].processes == 3 + 7);
    CHECK(out.n == 2 && out.items[1].runs == 1 && out.items[1].processes == 1);
    CHECK(reports[0].n == 0 && reports[0].items == NULL && reports[2].n == 0);
    cw_finding_list_free(&out);
}

static char *sarif_of(const cw_finding_list *l, const cw_run_info *run)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cw_render_sarif(out, l, run);
    fclose(out);
    return text;
}

static void test_sarif_paths(const char *python)
{
    cw_finding_list l = { 0 };
    cw_finding *f = cw_array_push(&l.items, &l.n, sizeof *f);
    f->kind = cw_xstrdup("some-new-kind");
    f->message = cw_xstrdup("x");
    cw_stack *s = cw_array_push(&f->stacks, &f->nstacks, sizeof *s);
    frame(s, "/home/dev/proj/build/prog", 0x10, "inner", "/home/dev/proj/my dir/a#b.c", 3);
    frame(s, "/home/dev/proj/build/prog", 0x20, "outer", "/usr/include/x.h", 4);
    cw_frame *py = cw_array_push(&s->frames, &s->nframes, sizeof *py);
    py->is_python = true;
    py->file = cw_xstrdup("../proj/app.py");
    py->line = 7;
    py->function = cw_xstrdup("main");
    cw_lock *lk = cw_array_push(&f->locks, &f->nlocks, sizeof *lk);
    lk->id = cw_xstrdup("M1");
    lk->type = cw_xstrdup("mutex");
    lk->name = cw_xstrdup("alice.lock");
    lk->description = cw_xstrdup("`alice.lock` (static, a.c:1)");
    char *cmd[] = { "prog" };
    cw_run_info run = { .version = "9.9", .command = cmd, .ncommand = 1, .base_dir = "/home/dev/proj",
                        .cwd = "/home/dev/build" };
    char *t = sarif_of(&l, &run);
    CHECK(strstr(t, "\"uri\": \"my%20dir/a%23b.c\",\n") != NULL);
    CHECK(strstr(t, "\"uri\": \"file:///usr/include/x.h\"") != NULL);
    CHECK(strstr(t, "\"uri\": \"app.py\",\n") != NULL);          /* ../proj/app.py from /home/dev/build */
    CHECK(strstr(t, "\"SRCROOT\": {\n") != NULL && strstr(t, "\"uri\": \"file:///home/dev/proj/\"") != NULL);
    CHECK(strstr(t, "\"text\": \"x. M1 is `alice.lock` (static, a.c:1).\"") != NULL);
    CHECK(strstr(t, "\"id\": \"some-new-kind\"") != NULL);        /* a rule of its own */
    if (python && strcmp(python, "-") != 0) {
        char path[] = "/tmp/cw_sarif_unit.XXXXXX";
        int fd = mkstemp(path);
        FILE *out = fdopen(fd, "w");
        fputs(t, out);
        fclose(out);
        char cmd2[512];
        snprintf(cmd2, sizeof cmd2,
                 "'%s' -c \"import json,sys; d=json.load(open('%s')); r=d['runs'][0]; "
                 "assert d['version']=='2.1.0'; res=r['results'][0]; "
                 "assert r['tool']['driver']['rules'][res['ruleIndex']]['id']=='some-new-kind'; "
                 "assert len(res['codeFlows'][0]['threadFlows'][0]['locations'])==3; "
                 "assert res['codeFlows'][0]['threadFlows'][0]['locations'][0]['location']['message']['text']=='main'\"",
                 python, path);
        CHECK(system(cmd2) == 0);
        remove(path);
    }
    free(t);
    cw_finding_list_free(&l);
}

int main(int argc, char **argv)
{
    test_fingerprints();
    test_dedupe_rule();
    test_merge();
    test_sarif_paths(argc > 1 ? argv[1] : "-");
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}

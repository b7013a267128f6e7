/* The record reader (finding_reader.h): complete, truncated, garbage input,
   unknown tags, missing fields, and the directory of findings files. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "report/finding_reader.h"



static bool eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static size_t parse(const char *text, cw_finding_list *out)
{
    return cw_parse_records(text, strlen(text), 42, out);
}

static const char COMPLETE[] =
    "finding\tlock-order-inversion\tcycle M1 -> M2 -> M1\n"
    "lock\tM1\tmutex\tcreated\n"
    "frame\t/abs/prog\t0x1189\ti\n"
    "lock\tM2\trwlock\tfirst used\n"
    "stack\tT1\tacquires M2 while holding M1\n"
    "frame\t/abs/prog\t1234\tr\n"
    "pyframe\tapp.py\t12\tworker\n"
    "note\tseen 3 times\n"
    "stack\tT2\tacquires M1 while holding M2\n"
    "frame\t/lib/libc.so.6\t0xdeadbeef\tr\n"
    "end\n";

static void test_complete(void)
{
    cw_finding_list l = { 0 };
    CHECK(parse(COMPLETE, &l) == 1);
    CHECK(l.n == 1);
    cw_finding *f = &l.items[0];
    CHECK(eq(f->kind, "lock-order-inversion"));
    CHECK(eq(f->message, "cycle M1 -> M2 -> M1"));
    CHECK(f->pid == 42);
    CHECK(f->nlocks == 2);
    CHECK(eq(f->locks[0].id, "M1") && eq(f->locks[0].type, "mutex") && eq(f->locks[0].how, "created"));
    CHECK(f->locks[0].nframes == 1 && f->locks[0].frames[0].vaddr == 0x1189);
    CHECK(!f->locks[0].frames[0].is_return);
    CHECK(eq(f->locks[1].how, "first used") && f->locks[1].nframes == 0);
    CHECK(f->nstacks == 2);
    CHECK(eq(f->stacks[0].thread, "T1") && eq(f->stacks[0].role, "acquires M2 while holding M1"));
    CHECK(f->stacks[0].nframes == 2);
    cw_frame *fr = &f->stacks[0].frames[0];
    CHECK(eq(fr->module, "/abs/prog") && fr->vaddr == 0x1234 && fr->is_return && !fr->is_python);
    fr = &f->stacks[0].frames[1];
    CHECK(fr->is_python && eq(fr->file, "app.py") && fr->line == 12 && eq(fr->function, "worker"));
    CHECK(fr->module == NULL);
    CHECK(f->nnotes == 1 && eq(f->notes[0], "seen 3 times"));
    CHECK(f->stacks[1].nframes == 1 && f->stacks[1].frames[0].vaddr == 0xdeadbeef);
    cw_finding_list_free(&l);
    CHECK(l.n == 0 && l.items == NULL);
}

static void test_two_findings_and_crlf(void)
{
    cw_finding_list l = { 0 };
    CHECK(parse("finding\tmisuse\tunlock of unlocked mutex\r\nstack\tT1\tunlocks\r\n"
                "frame\t/p\t0x10\tr\r\nend\r\n"
                "finding\tself-deadlock\tM1 twice\nend\n", &l) == 2);
    CHECK(l.n == 2);
    CHECK(eq(l.items[0].message, "unlock of unlocked mutex"));
    CHECK(eq(l.items[0].stacks[0].role, "unlocks"));
    CHECK(l.items[0].stacks[0].frames[0].is_return);
    CHECK(eq(l.items[1].kind, "self-deadlock") && l.items[1].nstacks == 0);
    cw_finding_list_free(&l);
}

static void test_truncated(void)
{
    cw_finding_list l = { 0 };
    /* Killed after a frame: kept, with a note. */
    CHECK(parse("finding\tdeadlock\tT1 and T2 wait\nstack\tT1\twaits\nframe\t/p\t0x10\tr\n", &l) == 1);
    CHECK(l.n == 1 && l.items[0].nnotes == 1 && eq(l.items[0].notes[0], CW_TRUNCATED_NOTE));
    cw_finding_list_free(&l);

    /* The last line is cut mid-address: that frame is not trusted. */
    CHECK(parse("finding\tdeadlock\tx\nstack\tT1\twaits\nframe\t/p\t0x10\tr\nframe\t/p\t0x12", &l) == 1);
    CHECK(l.n == 1 && l.items[0].stacks[0].nframes == 1);
    cw_finding_list_free(&l);

    /* Nothing actionable yet: dropped. */
    CHECK(parse("finding\tdeadlock\tx\nstack\tT1\twaits\n", &l) == 0);
    CHECK(parse("finding\tdeadlock\tx\n", &l) == 0);
    CHECK(parse("finding\tdeadl", &l) == 0);
    /* An unterminated finding followed by a complete one. */
    CHECK(parse("finding\tmisuse\tfirst\nfinding\tmisuse\tsecond\nend\n", &l) == 1);
    CHECK(l.n == 1 && eq(l.items[0].message, "second"));
    cw_finding_list_free(&l);
    CHECK(l.n == 0);
}

static void test_garbage_and_unknown(void)
{
    cw_finding_list l = { 0 };
    static const char garbage[] = "\x01\x02\xff\xfe\n\n\t\t\t\nend\nframe\t/p\t0x1\tr\n"
                                  "hello world\nfinding\n";
    CHECK(cw_parse_records(garbage, sizeof garbage - 1, 0, &l) == 0);
    CHECK(parse("", &l) == 0);
    CHECK(cw_parse_records(NULL, 0, 0, &l) == 0);
    /* Unknown tags (from a newer shim) are skipped; the rest still counts. */
    CHECK(parse("finding\tmisuse\tm\nfuture\tx\ty\nstack\tT1\tr\nregisters\trax=1\n"
                "frame\t/p\t0x10\tr\nend\n", &l) == 1);
    CHECK(l.n == 1 && l.items[0].nstacks == 1 && l.items[0].stacks[0].nframes == 1);
    cw_finding_list_free(&l);
}

static void test_missing_fields(void)
{
    cw_finding_list l = { 0 };
    CHECK(parse("finding\nlock\tM1\nstack\nframe\t/p\nframe\t/p\tzz\tr\nframe\t/p\t-5\tr\n"
                "frame\t/p\t0x20\nframe\t/p\t0x30\tx\npyframe\tapp.py\nnote\nend\n", &l) == 1);
    cw_finding *f = &l.items[0];
    CHECK(f->kind == NULL && f->message == NULL);
    CHECK(f->nlocks == 1 && eq(f->locks[0].id, "M1") && f->locks[0].type == NULL && f->locks[0].how == NULL);
    CHECK(f->nstacks == 1 && f->stacks[0].thread == NULL && f->stacks[0].role == NULL);
    /* Bad addresses dropped; missing or odd flag means a return address. */
    CHECK(f->stacks[0].nframes == 3);
    CHECK(f->stacks[0].frames[0].vaddr == 0x20 && f->stacks[0].frames[0].is_return);
    CHECK(f->stacks[0].frames[1].vaddr == 0x30 && f->stacks[0].frames[1].is_return);
    CHECK(f->stacks[0].frames[2].is_python && f->stacks[0].frames[2].line == 0);
    CHECK(f->stacks[0].frames[2].function == NULL);
    CHECK(f->nnotes == 0);
    cw_finding_list_free(&l);
}

static void test_frames_without_stack_line(void)
{
    cw_finding_list l = { 0 };
    CHECK(parse("finding\tmisuse\tm\nframe\t/p\t0x10\tr\nend\n", &l) == 1);
    CHECK(l.items[0].nstacks == 1 && l.items[0].stacks[0].thread == NULL);
    CHECK(l.items[0].stacks[0].nframes == 1);
    cw_finding_list_free(&l);
}

/* Every prefix of a valid stream: no crash, never more findings. */
static void test_every_truncation(void)
{
    size_t len = strlen(COMPLETE);
    for (size_t cut = 0; cut <= len; cut++) {
        cw_finding_list l = { 0 };
        size_t n = cw_parse_records(COMPLETE, cut, 0, &l);
        CHECK(n <= 1 && n == l.n);
        cw_finding_list_free(&l);
    }
}

static void write_file(const char *dir, const char *name, const char *text, time_t mtime)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    struct timespec times[2] = { { mtime, 0 }, { mtime, 0 } };
    utimensat(AT_FDCWD, path, times, 0);
}

static void test_directory(void)
{
    char dir[] = "/tmp/cw_test_reader.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    write_file(dir, "findings.300", "finding\tmisuse\tnewest\nend\n", 3000);
    write_file(dir, "findings.200", "finding\tmisuse\toldest\nend\n", 1000);
    write_file(dir, "findings.100", "finding\tmisuse\tmiddle\nend\nfinding\tmisuse\tmiddle2\nend\n", 2000);
    write_file(dir, "findings.abc", "finding\tmisuse\tno pid\nend\n", 2000);
    write_file(dir, "findings.empty", "", 500);
    write_file(dir, "other.txt", "finding\tmisuse\tignored\nend\n", 10);
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/findings.dir", dir);
    mkdir(sub, 0700);

    cw_finding_list l = { 0 };
    CHECK(cw_read_findings_dir(dir, &l) == 5);
    const char *order[] = { "oldest", "middle", "middle2", "no pid", "newest" };
    const long pids[] = { 200, 100, 100, 0, 300 };
    for (size_t i = 0; i < l.n && i < 5; i++) {
        CHECK(eq(l.items[i].message, order[i]));
        CHECK(l.items[i].pid == pids[i]);
    }
    cw_finding_list_free(&l);

    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    CHECK(cw_read_findings_dir(dir, &l) == -1 && l.n == 0);
}

/* Where a lock lives (lockaddr): after its lock line, before or after its
   frames; without a module for heap and stack locks; older records have none. */
static void test_lock_addresses(void)
{
    static const char TEXT[] =
        "finding\tmisuse\tx\n"
        "lock\tM1\tmutex\tcreated\n"
        "lockaddr\t0x55d0c0de40a0\t/abs/prog\t0x40a0\n"
        "frame\t/abs/prog\t0x1189\tr\n"
        "lock\tM2\tmutex\tfirst used\n"
        "frame\t/abs/prog\t0x1189\tr\n"
        "lockaddr\t0x7f00aa001000\n"
        "lock\tM3\tmutex\tcreated\n"
        "lockaddr\tnot-a-number\t/abs/prog\t0x10\n"
        "lock\tM4\tmutex\tcreated\n"
        "stack\tT1\tunlocks\n"
        "lockaddr\t0x1234\t/abs/prog\t0x10\n"       /* not after a lock: ignored */
        "end\n";
    cw_finding_list l = { 0 };
    CHECK(parse(TEXT, &l) == 1);
    cw_finding *f = &l.items[0];
    CHECK(f->nlocks == 4);
    CHECK(f->locks[0].addr == 0x55d0c0de40a0 && eq(f->locks[0].module, "/abs/prog") && f->locks[0].vaddr == 0x40a0);
    CHECK(f->locks[0].nframes == 1);
    CHECK(f->locks[1].addr == 0x7f00aa001000 && f->locks[1].module == NULL && f->locks[1].nframes == 1);
    CHECK(f->locks[2].addr == 0 && f->locks[2].module == NULL);
    CHECK(f->locks[3].addr == 0 && f->locks[3].module == NULL);
    CHECK(f->nstacks == 1 && f->stacks[0].nframes == 0);
    cw_finding_list_free(&l);
    /* A record from before lockaddr existed reads as before. */
    CHECK(parse(COMPLETE, &l) == 1);
    CHECK(l.items[0].locks[0].addr == 0 && l.items[0].locks[0].module == NULL);
    cw_finding_list_free(&l);
}

int main(void)
{
    test_complete();
    test_lock_addresses();
    test_two_findings_and_crlf();
    test_truncated();
    test_garbage_and_unknown();
    test_missing_fields();
    test_frames_without_stack_line();
    test_every_truncation();
    test_directory();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}

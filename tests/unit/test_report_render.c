/*
 * Text and JSON renderers (render_text.h, render_json.h, json_writer.h).
 *   test_report_render PYTHON    PYTHON parses the JSON back ("-": skip that)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "report/finding_reader.h"
#include "report/json_writer.h"
#include "report/render_json.h"
#include "report/render_text.h"
#include "report/xalloc.h"



#define CHECK_CONTAINS(text, needle)                                             \
    do {                                                                         \
        if (!strstr(text, needle)) {                                             \
            fprintf(stderr, "%s:%d: missing <<%s>> in:\n%s\n", __FILE__, __LINE__, needle, text); \
            failures++;                                                          \
        }                                                                        \
    } while (0)

#define BASE "/home/dev/proj"

static const char RECORDS[] =
    "finding\tlock-order-inversion\tcycle M1 -> M2 -> M1\n"
    "lock\tM1\tmutex\tcreated\n"
    "frame\t/abs/abba\t0x11a9\tr\n"
    "stack\tT1\tacquires M2 while holding M1\n"
    "frame\t/abs/abba\t0x1234\tr\n"
    "pyframe\tapp.py\t12\tworker\n"
    "frame\t/usr/lib/libfoo.so\t0x1a2b\tr\n"
    "frame\t/abs/abba\t0x1300\tr\n"
    "note\tseen twice\n"
    "stack\tT2\tacquires M1 while holding M2\n"
    "frame\t/lib/x86_64-linux-gnu/libc.so.6\t0x8a0c0\tr\n"
    "frame\t/abs/abba\t0x1290\tr\n"
    "end\n";

/* As the symbolizer would leave it. */
static void symbolize_by_hand(cw_finding *f)
{
    cw_frame *fr = f->stacks[0].frames;
    fr[0].function = cw_xstrdup("transfer");
    fr[0].file = cw_xstrdup(BASE "/samples/abba.c");
    fr[0].line = 21;
    fr[3].function = cw_xstrdup("helper");
    fr[3].file = cw_xstrdup("/elsewhere/helper.c");
    fr[3].line = 7;
    fr[3].is_inlined = true;
    fr = f->stacks[1].frames;
    fr[0].function = cw_xstrdup("pthread_mutex_lock");
    fr[0].file = cw_xstrdup("./nptl/pthread_mutex_lock.c");
    fr[0].line = 80;
    fr[1].function = cw_xstrdup("worker2");
    fr[1].file = cw_xstrdup(BASE "/samples/abba.c");
    fr[1].line = 33;
    fr = f->locks[0].frames;
    fr[0].function = cw_xstrdup("main");
    fr[0].file = cw_xstrdup(BASE "/samples/abba.c");
    fr[0].line = 40;
}

static cw_finding_list sample_list(void)
{
    cw_finding_list l = { 0 };
    cw_parse_records(RECORDS, strlen(RECORDS), 1234, &l);
    symbolize_by_hand(&l.items[0]);
    return l;
}

static char *render_text_to_string(const cw_finding_list *l)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cw_render_text(out, l, BASE, false);
    fclose(out);
    return text;
}

static void test_text(void)
{
    cw_finding_list l = sample_list();
    char *t = render_text_to_string(&l);
    CHECK(strncmp(t, "==================\n", 19) == 0);
    CHECK_CONTAINS(t, "\nWARNING: concwatch: lock-order-inversion (potential deadlock) (pid=1234)\n"
                      "  cycle M1 -> M2 -> M1\n  note: seen twice\n\n");
    CHECK_CONTAINS(t, "  Thread T1 acquires M2 while holding M1:\n"
                      "    #0 transfer samples/abba.c:21 (abba+0x1234)\n"
                      "    #1 worker app.py:12 (python)\n"
                      "    #2 <unknown> (libfoo.so+0x1a2b)\n"
                      "    #3 helper /elsewhere/helper.c:7 (abba+0x1300) (inlined)\n");
    CHECK_CONTAINS(t, "  Thread T2 acquires M1 while holding M2:\n"
                      "    #0 pthread_mutex_lock ./nptl/pthread_mutex_lock.c:80 (libc.so.6+0x8a0c0)\n");
    CHECK_CONTAINS(t, "  Mutex M1 created at:\n    #0 main samples/abba.c:40 (abba+0x11a9)\n");
    CHECK_CONTAINS(t, "\nSUMMARY: concwatch: lock-order-inversion samples/abba.c:21 in transfer\n"
                      "==================\n");
    free(t);
    cw_finding_list_free(&l);
}

/* SUMMARY names the first frame in the user's code, not libc's. */
static void test_summary_choice(void)
{
    cw_finding_list l = sample_list();
    cw_finding *f = &l.items[0];
    cw_stack tmp = f->stacks[0];               /* T2's stack first: libc, then worker2 */
    f->stacks[0] = f->stacks[1];
    f->stacks[1] = tmp;
    const cw_frame *s = cw_summary_frame(f);
    CHECK(s && strcmp(s->function, "worker2") == 0);

    /* C++: a frame of the user's binary whose code was inlined from the
       system's headers (std::mutex::lock) is skipped too. */
    {
        cw_frame *w = (cw_frame *)s;
        char *file = w->file;
        w->file = cw_xstrdup("/usr/include/x86_64-linux-gnu/c++/12/bits/gthr-default.h");
        const cw_frame *s2 = cw_summary_frame(f);
        CHECK(s2 && s2 != w && s2->file && strncmp(s2->file, "/usr/include/", 13) != 0);
        free(w->file);
        w->file = file;
    }

    /* No file anywhere: the first frame with a name. */
    for (size_t i = 0; i < f->nstacks; i++)
        for (size_t k = 0; k < f->stacks[i].nframes; k++) {
            free(f->stacks[i].frames[k].file);
            f->stacks[i].frames[k].file = NULL;
        }
    free(f->locks[0].frames[0].file);
    f->locks[0].frames[0].file = NULL;
    s = cw_summary_frame(f);
    CHECK(s && strcmp(s->function, "pthread_mutex_lock") == 0);
    cw_finding_list_free(&l);

    /* Nothing at all: kind only; unknown kinds and empty stacks print too. */
    {
        const char *r = "finding\tfuture-kind\t\nstack\t\t\nend\n";
        cw_parse_records(r, strlen(r), 0, &l);
    }
    CHECK(l.n == 1 && cw_summary_frame(&l.items[0]) == NULL);
    char *t = render_text_to_string(&l);
    CHECK_CONTAINS(t, "WARNING: concwatch: future-kind\n");
    CHECK_CONTAINS(t, "  Stack:\n    <no stack recorded>\n");
    CHECK_CONTAINS(t, "SUMMARY: concwatch: future-kind\n");
    free(t);
    cw_finding_list_free(&l);
}

static void test_stack_titles(void)
{
    const char *r = "finding\tlock-order-inversion\tc\n"
                    "lock\tM1\tmutex\tcreated\nlock\tM2\tmutex\tfirst used\n"
                    "stack\tT1\tmutex M2 acquired here while holding mutex M1 in thread T1\n"
                    "stack\tT1\tM1 previously acquired by the same thread here\n"
                    "stack\tT2\twaits for mutex M1, held by T1\n"
                    "stack\tT3\t\n"
                    "stack\t\tsemaphore S1 posted here\n"
                    "end\n";
    cw_finding_list l = { 0 };
    cw_parse_records(r, strlen(r), 0, &l);
    char *t = render_text_to_string(&l);
    CHECK_CONTAINS(t, "\n  Mutex M2 acquired here while holding mutex M1 in thread T1:\n");
    CHECK_CONTAINS(t, "\n  M1 previously acquired by the same thread here (thread T1):\n");
    CHECK_CONTAINS(t, "\n  Thread T2 waits for mutex M1, held by T1:\n");
    CHECK_CONTAINS(t, "\n  Thread T3:\n");
    CHECK_CONTAINS(t, "\n  Semaphore S1 posted here:\n");
    CHECK(strstr(t, "created at") == NULL && strstr(t, "first used at") == NULL);
    free(t);
    cw_finding_list_free(&l);
}

static void check_escaped(const char *in, const char *want)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cw_json_write_escaped(out, in);
    fclose(out);
    if (strcmp(text, want) != 0) {
        fprintf(stderr, "escape: got %s, want %s\n", text, want);
        failures++;
    }
    free(text);
}

static void test_escaping(void)
{
    check_escaped("plain", "\"plain\"");
    check_escaped("q\"b\\s/", "\"q\\\"b\\\\s/\"");
    check_escaped("\n\r\t\b\f\x01\x1f\x7f", "\"\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\"");
    check_escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92\"");
    check_escaped("\xff", "\"\\ufffd\"");
    check_escaped("a\xc3", "\"a\\ufffd\"");                 /* cut sequence at the end */
    check_escaped("\xc0\xaf", "\"\\ufffd\\ufffd\"");        /* overlong '/' */
    check_escaped("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
    check_escaped("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
    check_escaped("", "\"\"");
}

static const char PY_CHECK[] =
    "import json, sys\n"
    "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
    "assert d['tool'] == 'concwatch' and d['version'] == '9.9.9', d\n"
    "assert d['command'] == ['./prog', 'a \"b\"'] and d['exit_status'] == 3\n"
    "assert d['suppressed'] == 2\n"
    "f = d['findings'][0]\n"
    "assert f['kind'] == 'lock-order-inversion' and f['pid'] == 1234\n"
    "assert f['message'] == 'm \"q\" \\\\ \\x01\\n\\u00e9\\ufffd', repr(f['message'])\n"
    "assert f['notes'] == ['seen twice']\n"
    "l = f['locks'][0]\n"
    "assert (l['id'], l['type'], l['how']) == ('M1', 'mutex', 'created')\n"
    "assert l['created'][0]['function'] == 'main' and l['created'][0]['line'] == 40\n"
    "s = f['stacks'][0]\n"
    "assert s['thread'] == 'T1' and s['role'] == 'acquires M2 while holding M1'\n"
    "assert s['frames'][0] == {'function': 'transfer', 'file': 'samples/abba.c', 'line': 21,\n"
    "                         'module': '/abs/abba', 'offset': '0x1234'}, s['frames'][0]\n"
    "py = s['frames'][1]\n"
    "assert py['python'] is True and py['module'] is None and py['offset'] is None\n"
    "assert py['function'] == 'worker' and py['file'] == 'app.py' and py['line'] == 12\n"
    "u = s['frames'][2]\n"
    "assert u['function'] is None and u['file'] is None and u['line'] is None\n"
    "assert u['offset'] == '0x1a2b'\n"
    "assert s['frames'][3]['inlined'] is True and 'inlined' not in s['frames'][0]\n"
    "assert d['findings'][1]['pid'] is None and d['findings'][1]['stacks'] == []\n";

/* Runs PY_CHECK on the JSON file; true if every assertion held. */
static bool python_accepts(const char *python, const char *json_path, const char *script)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' - '%s'", python, json_path);
    FILE *p = popen(cmd, "w");
    if (!p)
        return false;
    fputs(script, p);
    return pclose(p) == 0;
}

static void test_json(const char *python)
{
    cw_finding_list l = sample_list();
    free(l.items[0].message);
    l.items[0].message = cw_xstrdup("m \"q\" \\ \x01\n\xc3\xa9\xff");
    const char *bare = "finding\tmisuse\tbare\nend\n";
    cw_parse_records(bare, strlen(bare), 0, &l);
    char *command[] = { "./prog", "a \"b\"", NULL };
    cw_run_info run = { .version = "9.9.9", .command = command, .ncommand = 2,
                        .exit_status = 3, .suppressed = 2, .base_dir = BASE };
    char path[] = "/tmp/cw_test_render.XXXXXX";
    int fd = mkstemp(path);
    FILE *out = fdopen(fd, "w");
    cw_render_json(out, &l, &run);
    fclose(out);
    if (strcmp(python, "-") != 0) {
        CHECK(python_accepts(python, path, PY_CHECK));
        cw_finding_list empty = { 0 };
        out = fopen(path, "w");
        cw_render_json(out, &empty, &run);
        fclose(out);
        CHECK(python_accepts(python, path,
                             "import json, sys\nassert json.load(open(sys.argv[1]))['findings'] == []\n"));
    } else {
        fputs("python not available: JSON not parsed back\n", stderr);
    }
    unlink(path);
    cw_finding_list_free(&l);
}

int main(int argc, char **argv)
{
    test_text();
    test_summary_choice();
    test_stack_titles();
    test_escaping();
    test_json(argc > 1 ? argv[1] : "-");
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}

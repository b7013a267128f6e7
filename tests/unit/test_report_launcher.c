/*
 * The concwatch launcher end to end, without the real shim: a do-nothing .so
 * stands in for it (CONCWATCH_SHIM), and "findings" are written by hand by the
 * program itself into $CONCWATCH_REPORT_DIR.
 *
 *   test_report_launcher CONCWATCH EMPTY_SHIM STATIC_PROG|- PYTHON|- SYMFIX
 *
 * SYMFIX is the symbolizer fixture (fixtures/symfix.h): its first frame line,
 * reported as a finding, must come out symbolized.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static const char *concwatch, *shim, *static_prog, *python, *symfix;
static char tmp[] = "/tmp/cw_test_launcher.XXXXXX";


typedef struct result {
    int status;               /* exit status, 128+N for signal N */
    char out[65536], err[65536];
} result;

static void slurp(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static int decode_status(int status)
{
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* Runs argv (NULL-terminated) with extra "NAME=VALUE" settings (NULL-terminated
   env, may be NULL), capturing stdout and stderr. */
static result *run_env(const char *const *env, const char *const *argv)
{
    static result r;
    char out[4200], err[4200];
    snprintf(out, sizeof out, "%s/stdout", tmp);
    snprintf(err, sizeof err, "%s/stderr", tmp);
    pid_t pid = fork();
    if (pid == 0) {
        freopen(out, "w", stdout);
        freopen(err, "w", stderr);
        for (; env && *env; env++)
            putenv((char *)*env);
        execv(argv[0], (char *const *)argv);
        _exit(99);
    }
    int status;
    waitpid(pid, &status, 0);
    r.status = decode_status(status);
    slurp(out, r.out, sizeof r.out);
    slurp(err, r.err, sizeof r.err);
    return &r;
}

#define RUN(...) run_env(NULL, (const char *const[]){ concwatch, __VA_ARGS__, NULL })
#define RUN_ENV(env, ...) run_env(env, (const char *const[]){ concwatch, __VA_ARGS__, NULL })

static void expect(const result *r, int status, const char *in_stderr, int line)
{
    if (r->status != status || (in_stderr && !strstr(r->err, in_stderr))) {
        fprintf(stderr, "%s:%d: status %d (want %d), stderr:\n%s\n(wanted in it: %s)\n",
                __FILE__, line, r->status, status, r->err, in_stderr ? in_stderr : "-");
        failures++;
    }
}
#define EXPECT(r, status, in_stderr) expect(r, status, in_stderr, __LINE__)

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static char *tmp_path(const char *name)
{
    static char paths[8][4200];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof paths[0], "%s/%s", tmp, name);
    return p;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* True if PYTHON accepts the JSON in path with the given assertions. */
static bool json_ok(const char *path, const char *asserts)
{
    if (strcmp(python, "-") == 0)
        return true;
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "'%s' - '%s'", python, path);
    FILE *p = popen(cmd, "w");
    fprintf(p, "import json, sys\nd = json.load(open(sys.argv[1]))\n%s\n", asserts);
    return pclose(p) == 0;
}

static void test_usage(void)
{
    result *r = RUN("--help");
    EXPECT(r, 0, NULL);
    CHECK(strstr(r->out, "usage: concwatch [OPTIONS] [--] PROGRAM [ARGS...]") != NULL);
    CHECK(strstr(r->out, "--hang-after SEC") && strstr(r->out, "(default 2)"));
    CHECK(strstr(RUN("-h")->out, "--suppressions FILE") != NULL);
    r = RUN("--version");
    EXPECT(r, 0, NULL);
    CHECK(strncmp(r->out, "concwatch ", 10) == 0 && count_lines(r->out) == 1);

    r = run_env(NULL, (const char *const[]){ concwatch, NULL });
    EXPECT(r, 2, "concwatch: no program to run");
    CHECK(count_lines(r->err) == 1);
    r = RUN("--bogus", "true");
    EXPECT(r, 2, "concwatch: unknown option '--bogus'");
    CHECK(count_lines(r->err) == 1);
    EXPECT(RUN("--json"), 2, "needs a value");
    EXPECT(RUN("--quiet=yes", "true"), 2, "takes no value");
    EXPECT(RUN("--json", "-", "--sarif", "-", "true"), 2, "only one report can go to standard output");
    EXPECT(RUN("--color", "sometimes", "true"), 2, "--color wants auto, always or never");
    EXPECT(RUN("--source-root", "/nonexistent-cw-dir", "true"), 2, "--source-root /nonexistent-cw-dir");
    EXPECT(run_env(NULL, (const char *const[]){ concwatch, "merge", NULL }), 2, "no report to merge");
    EXPECT(RUN("merge", "/nonexistent-cw.json"), 2, "/nonexistent-cw.json: No such file");
    EXPECT(RUN("--hang-after", "0", "true"), 2, "--hang-after");
    EXPECT(RUN("--hang-after=soon", "true"), 2, "--hang-after");
    /* Options after PROGRAM are the program's. */
    EXPECT(RUN("sh", "-c", "test \"$1\" = --json", "x", "--json"), 0, NULL);
}

static void test_bad_programs(void)
{
    result *r = RUN("no-such-program-cw");
    EXPECT(r, 127, "concwatch: no-such-program-cw: command not found");
    CHECK(count_lines(r->err) == 1);
    EXPECT(RUN("./no/such/prog"), 127, "no such file");
    char *plain = tmp_path("plain.txt");
    write_text(plain, "not a program\n", 0644);
    r = RUN(plain);
    EXPECT(r, 126, "not executable");
    CHECK(count_lines(r->err) == 1);
    EXPECT(RUN(tmp), 126, "is a directory");
    if (strcmp(static_prog, "-") != 0) {
        r = RUN(static_prog);
        EXPECT(r, 2, "statically linked");
        CHECK(count_lines(r->err) == 1);
    } else {
        fputs("no static libc: static-binary case skipped\n", stderr);
    }
    char *script = tmp_path("script.sh");
    write_text(script, "#!/bin/sh\nexit 5\n", 0755);
    EXPECT(RUN(script), 5, NULL);
}

static void test_unusable_paths(void)
{
    char *marker = tmp_path("ran");
    char touch[4300];
    snprintf(touch, sizeof touch, "touch '%s'", marker);
    result *r = RUN("--json", "/nonexistent-dir/report.json", "sh", "-c", touch);
    EXPECT(r, 2, "/nonexistent-dir/report.json");
    CHECK(count_lines(r->err) == 1);
    CHECK(!exists(marker));                     /* refused before running */

    const char *no_shim[] = { "CONCWATCH_SHIM=/nonexistent/libconcwatch.so", NULL };
    r = RUN_ENV(no_shim, "sh", "-c", touch);
    EXPECT(r, 2, "CONCWATCH_SHIM");
    CHECK(!exists(marker));
    EXPECT(RUN("--suppressions", "/nonexistent/supp", "true"), 2, "suppressions");
}

static void test_exit_status(void)
{
    EXPECT(RUN("--", "sh", "-c", "exit 3"), 3, NULL);
    EXPECT(RUN("true"), 0, NULL);
    EXPECT(RUN("sh", "-c", "kill -TERM $$"), 128 + SIGTERM, NULL);
    EXPECT(RUN("sh", "-c", "kill -KILL $$"), 128 + SIGKILL, NULL);
    CHECK(RUN("true")->err[0] == '\0');         /* nothing found: nothing said */
}

static void test_environment(void)
{
    char *dirs = tmp_path("dirs");
    mkdir(tmp_path("tmpdir"), 0700);
    char tmpdir_env[4300], check[8000];
    snprintf(tmpdir_env, sizeof tmpdir_env, "TMPDIR=%s", tmp_path("tmpdir"));
    snprintf(check, sizeof check,
             "test \"$CONCWATCH_HANG_AFTER\" = 0.5 || exit 11; "
             "case \"$LD_PRELOAD\" in '%s') ;; *) exit 12;; esac; "
             "test -d \"$CONCWATCH_REPORT_DIR\" || exit 13; "
             "echo \"$CONCWATCH_REPORT_DIR\" > '%s'", shim, dirs);
    const char *env[] = { tmpdir_env, NULL };
    EXPECT(RUN_ENV(env, "--hang-after", "0.5", "sh", "-c", check), 0, NULL);
    char dir[4200];
    slurp(dirs, dir, sizeof dir);
    dir[strcspn(dir, "\n")] = '\0';
    CHECK(strncmp(dir, tmp_path("tmpdir"), strlen(tmp_path("tmpdir"))) == 0);
    CHECK(dir[0] && !exists(dir));              /* removed after the run */

    /* An existing LD_PRELOAD stays first.  (ASan must tolerate a preload
       before it in the sanitized launcher.) */
    char preload[4300];
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", shim);
    snprintf(check, sizeof check, "case \"$LD_PRELOAD\" in '%s:%s') exit 0;; esac; exit 1",
             shim, shim);
    const char *env2[] = { preload, "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0", NULL };
    EXPECT(RUN_ENV(env2, "sh", "-c", check), 0, NULL);
}

/* The program writes a finding as the shim would: one misuse, one frame. */
#define WRITE_FINDING                                                            \
    "printf 'finding\\tmisuse\\ttest\\nstack\\tT1\\tunlocks\\n"                  \
    "frame\\t/bin/sh\\t0x1234\\tr\\nend\\n' > \"$CONCWATCH_REPORT_DIR/findings.$$\""

static void test_findings(void)
{
    char *json = tmp_path("report.json");
    result *r = RUN("--json", json, "--", "sh", "-c", WRITE_FINDING);
    EXPECT(r, 66, "WARNING: concwatch: misuse");
    CHECK(strstr(r->err, "==================\n") != NULL);
    CHECK(strstr(r->err, "  Thread T1 unlocks:\n    #0 ") != NULL);
    CHECK(strstr(r->err, " (sh+0x1234)\n") != NULL);
    CHECK(strstr(r->err, "SUMMARY: concwatch: misuse") != NULL);
    CHECK(strstr(r->err, "concwatch: reported 1 finding\n") != NULL);
    CHECK(json_ok(json,
        "assert d['tool'] == 'concwatch' and d['exit_status'] == 0\n"
        "assert d['command'][:2] == ['sh', '-c']\n"
        "f = d['findings']\n"
        "assert len(f) == 1 and f[0]['kind'] == 'misuse' and f[0]['message'] == 'test'\n"
        "s = f[0]['stacks'][0]\n"
        "assert s['thread'] == 'T1' and s['role'] == 'unlocks'\n"
        "assert s['frames'][0]['module'] == '/bin/sh' and s['frames'][0]['offset'] == '0x1234'\n"
        "assert isinstance(f[0]['pid'], int)"));

    /* -q: the report, no banner. */
    r = RUN("-q", "sh", "-c", WRITE_FINDING);
    EXPECT(r, 66, "WARNING: concwatch: misuse");
    CHECK(strstr(r->err, "concwatch: reported") == NULL);

    /* --json -: the report alone on stdout; the program's own stdout goes to stderr. */
    r = RUN("--json", "-", "sh", "-c", "echo program-$((6*7)); " WRITE_FINDING "; exit 7");
    EXPECT(r, 66, "program-42");
    CHECK(strstr(r->out, "program-42") == NULL);
    char *out = tmp_path("stdout.json");
    write_text(out, r->out, 0644);
    CHECK(json_ok(out, "assert d['exit_status'] == 7 and len(d['findings']) == 1"));
    /* --sarif - likewise, with the JSON report in a file beside it. */
    char *json2 = tmp_path("beside.json");
    r = RUN("--sarif", "-", "--json", json2, "sh", "-c", "echo program-$((6*7)); " WRITE_FINDING);
    EXPECT(r, 66, "program-42");
    CHECK(strstr(r->out, "program-42") == NULL);
    write_text(out, r->out, 0644);
    CHECK(json_ok(out, "assert d['version'] == '2.1.0' and len(d['runs'][0]['results']) == 1\n"
                       "assert d['runs'][0]['results'][0]['ruleId'] == 'misuse'"));
    CHECK(json_ok(json2, "assert len(d['findings']) == 1"));

    /* merge: two runs of the same finding fold into one, counted twice. */
    char *merged = tmp_path("merged.json");
    r = RUN("merge", "--json", merged, json, json2);
    EXPECT(r, 66, "concwatch: merged 1 finding\n");
    CHECK(strstr(r->out, "seen in 2 runs, 2 processes") != NULL);
    CHECK(json_ok(merged, "f = d['findings']\n"
                          "assert len(f) == 1 and f[0]['runs'] == 2 and f[0]['processes'] == 2\n"
                          "assert d['command'] is None and len(d['merged']) == 2"));

    /* Every process's file counts: the program and a child of it. */
    r = RUN("sh", "-c", WRITE_FINDING "; sh -c '" "printf \"finding\\tdeadlock\\tchild\\n"
            "stack\\tT2\\twaits\\nframe\\t/bin/sh\\t0x99\\tr\\nend\\n\" > "
            "\"$CONCWATCH_REPORT_DIR/findings.$$\"'");
    EXPECT(r, 66, "concwatch: reported 2 findings");
}

/* A frame of a real program with debug info comes out as function file:line. */
static void test_symbolized_finding(void)
{
    FILE *p = popen(symfix, "r");
    char frame[4300] = "", expect_line[4300] = "";
    CHECK(p && fgets(frame, sizeof frame, p) && fgets(expect_line, sizeof expect_line, p) &&
          strrchr(expect_line, '\t'));
    if (!strrchr(expect_line, '\t'))
        return;
    if (p)
        pclose(p);
    frame[strcspn(frame, "\n")] = '\0';
    char *records = tmp_path("records"), script[4400];
    FILE *f = fopen(records, "w");
    fprintf(f, "finding\tmisuse\tunlock of an unlocked mutex\nstack\tT1\tunlocks\n%s\nend\n", frame);
    fclose(f);
    snprintf(script, sizeof script, "cat '%s' > \"$CONCWATCH_REPORT_DIR/findings.$$\"", records);
    int line = atoi(strrchr(expect_line, '\t') + 1);   /* expect <fn> <file> <line> */
    char where[256], summary[256];
    snprintf(where, sizeof where, "symfix_main.c:%d (symfix_pie+0x", line);
    snprintf(summary, sizeof summary, "symfix_main.c:%d in symfix_known\n", line);
    result *r = RUN("sh", "-c", script);
    EXPECT(r, 66, "    #0 symfix_known ");
    CHECK(strstr(r->err, where) != NULL);
    CHECK(strstr(r->err, "SUMMARY: concwatch: misuse ") != NULL);
    CHECK(strstr(r->err, summary) != NULL);
}

static void test_suppressions(void)
{
    char *supp = tmp_path("supp.txt"), *json = tmp_path("supp.json");
    write_text(supp, "# the test's own finding\nmisuse:/bin/sh\n", 0644);
    result *r = RUN("--suppressions", supp, "--json", json, "sh", "-c", WRITE_FINDING "; exit 4");
    EXPECT(r, 4, "concwatch: reported 0 findings (1 suppressed)");
    CHECK(strstr(r->err, "WARNING") == NULL);
    CHECK(json_ok(json, "assert d['findings'] == [] and d['suppressed'] == 1"));

    write_text(supp, "deadlock:/bin/sh\n", 0644);   /* wrong kind: not suppressed */
    EXPECT(RUN("--suppressions", supp, "sh", "-c", WRITE_FINDING), 66, "WARNING");

    write_text(supp, "bogus:x\n", 0644);
    r = RUN("--suppressions", supp, "true");
    EXPECT(r, 2, "unknown kind 'bogus'");
    CHECK(count_lines(r->err) == 1);
}

static pid_t spawn(const char *const *argv)
{
    pid_t pid = fork();
    if (pid == 0) {
        freopen(tmp_path("spawn.stderr"), "w", stderr);
        execv(argv[0], (char *const *)argv);
        _exit(99);
    }
    return pid;
}

static bool wait_for_file(const char *path)
{
    for (int i = 0; i < 1000 && !exists(path); i++)
        usleep(10 * 1000);
    return exists(path);
}

/* SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to concwatch alone reach the
 * program (here: it dies of them), and the report is still written: the
 * finding made before, and the program's status. */
static void test_signals(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    struct rlimit no_core = { 0, 0 };
    setrlimit(RLIMIT_CORE, &no_core);   /* SIGQUIT's default action dumps core */
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        char *marker = tmp_path("started"), *json = tmp_path("signal.json");
        unlink(marker);
        unlink(json);
        char script[4400];
        snprintf(script, sizeof script, WRITE_FINDING "; touch '%s'; exec sleep 30", marker);
        pid_t pid = spawn((const char *const[]){ concwatch, "-q", "--json", json, "sh", "-c", script, NULL });
        CHECK(wait_for_file(marker));
        usleep(50 * 1000);   /* sh has exec'd sleep */
        time_t start = time(NULL);
        kill(pid, sigs[i]);
        int status;
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(time(NULL) - start < 10);
        if (decode_status(status) != 66)
            fprintf(stderr, "signal %d: concwatch status %d, want 66\n", sigs[i], decode_status(status));
        CHECK(decode_status(status) == 66);
        char asserts[256];
        snprintf(asserts, sizeof asserts,
                 "assert d['exit_status'] == %d, d['exit_status']\nassert len(d['findings']) == 1", 128 + sigs[i]);
        CHECK(json_ok(json, asserts));
    }
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: %s CONCWATCH EMPTY_SHIM STATIC_PROG|- PYTHON|- SYMFIX\n", argv[0]);
        return 2;
    }
    concwatch = argv[1];
    shim = argv[2];
    static_prog = argv[3];
    python = argv[4];
    symfix = argv[5];
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    setenv("CONCWATCH_SHIM", shim, 1);
    unsetenv("LD_PRELOAD");
    test_usage();
    test_bad_programs();
    test_unusable_paths();
    test_exit_status();
    test_environment();
    test_findings();
    test_symbolized_finding();
    test_suppressions();
    test_signals();
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}


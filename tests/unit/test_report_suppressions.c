/* Suppression rules (suppressions.h): parsing, kinds, patterns, applying. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "report/finding_reader.h"
#include "report/suppressions.h"
#include "report/xalloc.h"



static void test_patterns(void)
{
    CHECK(cw_pattern_match("transfer", "bank_transfer_locked"));       /* substring */
    CHECK(!cw_pattern_match("transfer", "deposit"));
    CHECK(cw_pattern_match("^bank_", "bank_transfer"));
    CHECK(!cw_pattern_match("^transfer", "bank_transfer"));
    CHECK(cw_pattern_match("locked$", "bank_transfer_locked"));
    CHECK(!cw_pattern_match("bank$", "bank_transfer"));
    CHECK(cw_pattern_match("^bank_transfer$", "bank_transfer"));
    CHECK(!cw_pattern_match("^bank$", "bank_transfer"));
    CHECK(cw_pattern_match("third_party/*/lock.c", "/src/third_party/zlib/lock.c"));
    CHECK(cw_pattern_match("a*b*c", "xxaYYbZZcxx"));
    CHECK(!cw_pattern_match("^a*b*c$", "aYYbZZcx"));
    CHECK(cw_pattern_match("*", ""));
    CHECK(cw_pattern_match("^$", ""));
    CHECK(!cw_pattern_match("x", NULL));
    CHECK(cw_pattern_match("$", "$"));     /* a lone '$' is an (empty) end anchor */
}

static cw_suppressions *parse(const char *text)
{
    char err[256] = "";
    cw_suppressions *s = cw_suppressions_parse(text, strlen(text), err, sizeof err);
    if (!s)
        fprintf(stderr, "unexpected parse error: %s\n", err);
    return s;
}

static void test_parse_errors(void)
{
    char err[256];
    const char *bad[] = { "deadlock\n", "nonsense:foo\n", "race:   \n", "# ok\n\nrace:x\nfoo bar\n" };
    const char *why[] = { "line 1", "unknown kind 'nonsense'", "empty pattern", "line 4" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK(cw_suppressions_parse(bad[i], strlen(bad[i]), err, sizeof err) == NULL);
        CHECK(strstr(err, why[i]) != NULL);
    }
    cw_suppressions *s = parse("  # comment\n\n\t\r\nthread:x\ncalled_from_lib:libfoo.so\n"
                               "  deadlock : transfer  \r\n");
    CHECK(s && cw_suppressions_count(s) == 3);
    cw_suppressions_free(s);
    CHECK(cw_suppressions_load("/nonexistent/supp.txt", err, sizeof err) == NULL);
    CHECK(strstr(err, "/nonexistent/supp.txt") != NULL);
}

static const char FINDINGS[] =
    "finding\tlock-order-inversion\tc\nlock\tM1\tmutex\tcreated\nframe\t/abs/bank\t0x10\tr\n"
    "stack\tT1\ta\nframe\t/abs/bank\t0x20\tr\nframe\t/abs/bank\t0x30\tr\nend\n"
    "finding\tmisuse\tm\nstack\tT1\tunlocks\nframe\t/usr/lib/libfoo.so\t0x40\tr\nend\n"
    "finding\tdata-race\tr\nstack\tT1\twrites\nframe\t/abs/bank\t0x50\tr\n"
    "pyframe\t/app/worker.py\t9\trun\nend\n"
    "finding\tself-deadlock\ts\nstack\tT1\tlocks\nframe\t/abs/bank\t0x60\tr\nend\n";

static cw_finding_list sample(void)
{
    cw_finding_list l = { 0 };
    cw_parse_records(FINDINGS, strlen(FINDINGS), 1, &l);
    /* as symbolized */
    l.items[0].locks[0].frames[0].function = cw_xstrdup("main");
    l.items[0].stacks[0].frames[0].function = cw_xstrdup("deposit");
    l.items[0].stacks[0].frames[0].file = cw_xstrdup("/src/bank.c");
    l.items[0].stacks[0].frames[1].function = cw_xstrdup("transfer");
    l.items[2].stacks[0].frames[0].function = cw_xstrdup("store");
    l.items[3].stacks[0].frames[0].function = cw_xstrdup("relock");
    return l;
}

static bool matches(const char *rules, size_t finding)
{
    cw_finding_list l = sample();
    cw_suppressions *s = parse(rules);
    bool m = s && cw_suppressions_match(s, &l.items[finding]);
    cw_suppressions_free(s);
    cw_finding_list_free(&l);
    return m;
}

static void test_kinds_and_frames(void)
{
    /* "deadlock" covers lock-order-inversion and self-deadlock, not misuse. */
    CHECK(matches("deadlock:transfer\n", 0));
    CHECK(matches("deadlock:relock\n", 3));
    CHECK(!matches("deadlock:libfoo\n", 1));
    CHECK(matches("mutex:libfoo\n", 1));                  /* module */
    CHECK(matches("misuse:/usr/lib/\n", 1));
    CHECK(matches("lock-order-inversion:bank.c\n", 0));   /* file */
    CHECK(!matches("self-deadlock:transfer\n", 0));       /* kind mismatch */
    CHECK(matches("deadlock:^main$\n", 0));               /* a lock-creation frame */
    CHECK(matches("race:worker.py\n", 2));                /* Python frame file */
    CHECK(matches("data-race:^run$\n", 2));
    CHECK(matches("race_top:store\n", 2));
    CHECK(!matches("race_top:run\n", 2));                 /* not the top frame */
    CHECK(!matches("thread:store\n", 2));                 /* TSan-only kind never matches */
    CHECK(!matches("race:transfer\n", 0));
}

static void test_apply_and_load(void)
{
    char path[] = "/tmp/cw_test_supp.XXXXXX";
    int fd = mkstemp(path);
    const char *text = "# known\ndeadlock:transfer\nrace:worker.py\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    char err[256];
    cw_suppressions *s = cw_suppressions_load(path, err, sizeof err);
    unlink(path);
    CHECK(s != NULL && cw_suppressions_count(s) == 2);
    cw_finding_list l = sample();
    CHECK(cw_suppressions_apply(s, &l) == 2);
    CHECK(l.n == 2 && strcmp(l.items[0].kind, "misuse") == 0 &&
          strcmp(l.items[1].kind, "self-deadlock") == 0);
    CHECK(cw_suppressions_apply(NULL, &l) == 0 && l.n == 2);
    cw_finding_list_free(&l);
    cw_suppressions_free(s);
}

int main(void)
{
    test_patterns();
    test_parse_errors();
    test_kinds_and_frames();
    test_apply_and_load();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}

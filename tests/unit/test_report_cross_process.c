/* Lock-order cycles across processes (cross_process.h): the shims' x-edge
 * records of several processes joined into one graph. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "report/cross_process.h"

static char dir[] = "/tmp/cw_test_xedges.XXXXXX";

/* One x-edge record: from -> to, taken at frame `at` by thread T<t>. */
static void edge(FILE *f, const char *from, const char *to, int at, int t)
{
    fprintf(f, "finding\tx-edge\t%s %s\n"
               "lock\tM1\tsemaphore\tcreated\nframe\t/p\t0x10\tr\n"
               "lock\tM2\tsemaphore\tcreated\nframe\t/p\t0x10\tr\n"
               "stack\tT%d\tacquiring\nframe\t/p\t0x%x\tr\n"
               "stack\tT%d\tholding\nframe\t/p\t0x%x\tr\nend\n", from, to, t, at, t, at - 4);
}

static FILE *file(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return fopen(path, "w");
}

static const char A[] = "00000000000000aa", B[] = "00000000000000bb", C[] = "00000000000000cc",
                  D[] = "00000000000000dd";

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    cw_finding_list l = { 0 };
    CHECK(cw_cross_process_cycles(dir, &l) == 0 && l.n == 0);   /* nothing published */

    /* Process 100: A then B, and C then D then C (its own cycle: its shim's
     * finding, not this one's).  Process 200: B then A.  Process 300: D then
     * A (no cycle). */
    FILE *f = file("xedges.100");
    edge(f, A, B, 0x100, 1);
    edge(f, C, D, 0x200, 1);
    edge(f, D, C, 0x300, 2);
    fclose(f);
    f = file("xedges.200");
    edge(f, B, A, 0x400, 1);
    fprintf(f, "finding\tx-edge\tnot-hex\nend\nfinding\tx-edge\t00aa");   /* junk and a cut line */
    fclose(f);
    f = file("xedges.300");
    edge(f, D, A, 0x500, 3);
    fclose(f);
    f = file("findings.100");   /* not an x-edge file */
    edge(f, A, C, 0x600, 1);
    edge(f, C, A, 0x700, 1);
    fclose(f);

    CHECK(cw_cross_process_cycles(dir, &l) == 1 && l.n == 1);
    if (l.n == 1) {
        cw_finding *x = &l.items[0];
        CHECK(strcmp(x->kind, "lock-order-inversion") == 0);
        CHECK(strstr(x->message, "cycle M1 -> M2 -> M1") &&
              (strstr(x->message, "processes 100, 200") || strstr(x->message, "processes 200, 100")));
        CHECK(x->nlocks == 2 && x->nstacks == 4);
        CHECK(x->nstacks == 4 && strstr(x->stacks[0].role, "of process") && x->stacks[0].nframes == 1);
        bool both = false;
        for (size_t i = 0; i + 2 < x->nstacks; i++)
            both |= strstr(x->stacks[i].role, "process 100") && strstr(x->stacks[i + 2].role, "process 200");
        CHECK(both);
    }
    cw_finding_list_free(&l);

    const char *names[] = { "xedges.100", "xedges.200", "xedges.300", "findings.100" };
    for (size_t i = 0; i < 4; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}

/* Repeated findings (dedupe.h): the same bug reported by two processes shows once. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "report/dedupe.h"
#include "report/finding_reader.h"



static const char A[] = "finding\tlock-order-inversion\tM1 -> M2 -> M1\n"
                        "lock\tM1\tmutex\tcreated\nframe\t/p\t0x10\tr\n"
                        "stack\tT1\tacquires M2\nframe\t/p\t0x20\tr\npyframe\ta.py\t3\tf\nend\n";
/* Same as A but one frame differs. */
static const char B[] = "finding\tlock-order-inversion\tM1 -> M2 -> M1\n"
                        "lock\tM1\tmutex\tcreated\nframe\t/p\t0x10\tr\n"
                        "stack\tT1\tacquires M2\nframe\t/p\t0x24\tr\npyframe\ta.py\t3\tf\nend\n";
static const char C[] = "finding\tmisuse\tunlock\nstack\tT1\tunlocks\nframe\t/p\t0x20\tr\nend\n";

int main(void)
{
    cw_finding_list l = { 0 };
    cw_parse_records(A, strlen(A), 100, &l);
    cw_parse_records(C, strlen(C), 100, &l);
    cw_parse_records(A, strlen(A), 101, &l);   /* repeat from a forked child */
    cw_parse_records(B, strlen(B), 101, &l);
    cw_parse_records(C, strlen(C), 102, &l);
    cw_parse_records(A, strlen(A), 103, &l);
    CHECK(l.n == 6);
    CHECK(cw_finding_list_dedupe(&l) == 3);
    CHECK(l.n == 3);
    /* First occurrences, in order. */
    CHECK(l.n == 3 && l.items[0].pid == 100 && strcmp(l.items[0].kind, "lock-order-inversion") == 0);
    CHECK(l.n == 3 && l.items[1].pid == 100 && strcmp(l.items[1].kind, "misuse") == 0);
    CHECK(l.n == 3 && l.items[2].pid == 101 && l.items[2].stacks[0].frames[0].vaddr == 0x24);
    CHECK(cw_finding_list_dedupe(&l) == 0);
    cw_finding_list_free(&l);
    CHECK(cw_finding_list_dedupe(&l) == 0);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}

/*
 * Proves the lock-order part of the lock events layer end to end, without
 * the shim: real threads, one after the other, report their acquisitions
 * and releases (cw_acquired / cw_released) as the interceptors would, and
 * the lock-order-inversion findings written to the report directory are
 * counted, case by case (each case has its own directory and its own lock
 * addresses; the fixture is lock_events_fixture.h):
 *   - ABBA across two threads is one lock-order-inversion, and seeing it
 *     again adds none; ABBA in one thread is one too;
 *   - the same nesting in one order, a gate lock held around both
 *     nestings, a trylock on either side, read/read on an rwlock: none;
 *     the gated inversion without its gate: one;
 *   - a lock re-created at the same address (cw_lock_created, or destroy
 *     then create) is a new lock: the old lock's edges do not reach it,
 *     while its own inversion is still found.
 */
#include "lock_events_fixture.h"

/* ---- lock order ---- */

static void test_abba(void)
{
    uintptr_t a = LK(0), b = LK(1);
    new_case("abba");
    RUN(T(a), T(b), G(b), G(a));
    CHECK(INVERSIONS() == 0);
    RUN(T(b), T(a), G(a), G(b));
    CHECK(INVERSIONS() == 1);
    CHECK(strstr(text, "\tcycle M1 -> M2 -> M1 in the lock order of threads T") != NULL);
    CHECK(count("lock\tM1\tmutex\tfirst used") == 1 && count("lock\tM2\tmutex\tfirst used") == 1);
    CHECK(count("stack\t") == 4);   /* each edge: where `to` was taken, where `from` had been */
    CHECK(count("end") == 1);
    /* The same inversion again, in new threads: reported once. */
    RUN(T(b), T(a), G(a), G(b));
    RUN(T(a), T(b), G(b), G(a));
    CHECK(INVERSIONS() == 1);
}

static void test_abba_one_thread(void)
{
    uintptr_t a = LK(2), b = LK(3);
    new_case("one_thread");
    RUN(T(a), T(b), G(b), G(a), T(b), T(a), G(a), G(b));
    CHECK(INVERSIONS() == 1);
    CHECK(strstr(text, "in the lock order of thread T") != NULL);
}

static void test_consistent_order(void)
{
    uintptr_t a = LK(4), b = LK(5), c = LK(6);
    new_case("consistent");
    RUN(T(a), T(b), T(c), G(c), G(b), G(a));
    RUN(T(a), T(b), G(b), G(a));
    RUN(T(b), T(c), G(c), G(b));
    RUN(T(a), T(c), G(c), G(a));
    CHECK(INVERSIONS() == 0);
    CHECK(findings()[0] == '\0');   /* nothing at all */
}

static void test_gate(void)
{
    uintptr_t g = LK(7), a = LK(8), b = LK(9);
    new_case("gate");
    RUN(T(g), T(a), T(b), G(b), G(a), G(g));
    RUN(T(g), T(b), T(a), G(a), G(b), G(g));
    CHECK(INVERSIONS() == 0);   /* both nestings under g: they cannot interleave */
    RUN(T(b), T(a), G(a), G(b));
    CHECK(INVERSIONS() == 1);   /* without the gate they can */
}

static void test_trylock(void)
{
    uintptr_t a = LK(10), b = LK(11), c = LK(12), d = LK(13);
    new_case("trylock");
    RUN(T(a), TR(b), G(b), G(a));   /* a trylock never waits: no edge a -> b */
    RUN(T(b), T(a), G(a), G(b));
    RUN(T(c), T(d), G(d), G(c));
    RUN(T(d), TR(c), G(c), G(d));   /* the closing acquisition is a trylock */
    CHECK(INVERSIONS() == 0);
}

static void test_read_read(void)
{
    uintptr_t a = LK(14), b = LK(15);
    new_case("read_read");
    /* b is only ever taken for reading, by the edge into it and while held
     * on the edge out of it: readers do not block readers. */
    RUN(T(a), RD(b), G(b), G(a));
    RUN(RD(b), T(a), G(a), G(b));
    CHECK(INVERSIONS() == 0);
}

/* ---- a new lock at the same address ---- */

static void test_recreated(void)
{
    uintptr_t a = LK(16), b = LK(17);
    new_case("recreated");
    RUN(T(a), T(b), G(b), G(a));
    create(a);
    RUN(T(b), T(a), G(a), G(b));
    CHECK(INVERSIONS() == 0);   /* the edge a -> b was the old lock's */
    RUN(T(a), T(b), G(b), G(a));
    CHECK(INVERSIONS() == 1);   /* the new lock's own inversion */
    CHECK(count("lock\tM1\tmutex\tcreated") + count("lock\tM2\tmutex\tcreated") == 1);

    uintptr_t c = LK(18), d = LK(19);
    new_case("destroyed");
    RUN(T(c), T(d), G(d), G(c));
    destroy(c, false);
    create(c);
    RUN(T(d), T(c), G(c), G(d));
    CHECK(findings()[0] == '\0');
}

int main(void)
{
    if (!fixture_begin()) {
        printf("skipped: no temporary directory\n");
        return 77;
    }
    test_abba();
    test_abba_one_thread();
    test_consistent_order();
    test_gate();
    test_trylock();
    test_read_read();
    test_recreated();
    return fixture_end();
}

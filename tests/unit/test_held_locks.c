/*
 * Proves the bookkeeping of held locks (detector/events/lock_events.h):
 * cw_acquired pushes a hold with the kind, read mode and call-site stack;
 * cw_held_index finds the most recent hold of an address; cw_released
 * drops the most recent hold of what is released, on top of the list or
 * from the middle of it (locks released out of order), leaving the order
 * of the others as it was, and ignores what is not held; cw_held_remove
 * closes the gap; at most CW_MAX_HELD holds are kept.  Trylocks (no
 * lock-order graph here: cw_events_init is not called).
 */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "events/lock_events.h"

static char locks[8];
#define A ((uintptr_t)&locks[0])
#define B ((uintptr_t)&locks[1])
#define C ((uintptr_t)&locks[2])
#define D ((uintptr_t)&locks[3])

__attribute__((noinline)) static void take(cw_thread *t, uintptr_t addr, cw_lock_kind kind, bool read)
{
    cw_acquired(t, addr, kind, read, CW_ACQ_TRY, (uintptr_t)__builtin_return_address(0));
    __asm__ volatile("" ::: "memory");
}

/* The held addresses, in order, are exactly `want` (n of them). */
static bool holds(const cw_thread *t, const uintptr_t *want, uint32_t n)
{
    if (t->nheld != n)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (t->held[i].addr != want[i])
            return false;
    return true;
}

#define HOLDS(t, ...) holds(t, (uintptr_t[]){ __VA_ARGS__ }, sizeof((uintptr_t[]){ __VA_ARGS__ }) / sizeof(uintptr_t))

int main(void)
{
    cw_thread *t = cw_thread_self();
    CHECK(t != NULL);
    if (!t)
        return 1;
    CHECK(t->nheld == 0);
    CHECK(cw_held_index(t, A) == -1);

    take(t, A, CW_KIND_MUTEX, false);
    take(t, B, CW_KIND_RWLOCK, true);
    take(t, C, CW_KIND_SPINLOCK, false);
    CHECK(HOLDS(t, A, B, C));
    CHECK(t->held[0].kind == CW_KIND_MUTEX && t->held[1].kind == CW_KIND_RWLOCK && t->held[1].read &&
          t->held[2].kind == CW_KIND_SPINLOCK && !t->held[0].read);
    CHECK(t->held[0].stack != 0 && t->held[1].stack != 0 && t->held[0].stack != t->held[1].stack);
    CHECK(cw_held_index(t, A) == 0 && cw_held_index(t, B) == 1 && cw_held_index(t, C) == 2);
    CHECK(cw_held_index(t, D) == -1);

    /* A taken again (recursive): the most recent hold is the one found. */
    take(t, A, CW_KIND_MUTEX, false);
    CHECK(HOLDS(t, A, B, C, A));
    CHECK(cw_held_index(t, A) == 3);

    cw_released(t, A);   /* the top */
    CHECK(HOLDS(t, A, B, C));
    cw_released(t, B);   /* out of order: from the middle */
    CHECK(HOLDS(t, A, C));
    CHECK(t->held[1].kind == CW_KIND_SPINLOCK);   /* the entry moved whole */
    cw_released(t, D);   /* not held: nothing changes */
    CHECK(HOLDS(t, A, C));

    /* Recursive holds released from the middle: the latest one goes. */
    take(t, B, CW_KIND_MUTEX, false);
    take(t, A, CW_KIND_MUTEX, true);   /* marked read to tell the two A holds apart */
    take(t, D, CW_KIND_MUTEX, false);
    CHECK(HOLDS(t, A, C, B, A, D));
    cw_released(t, A);
    CHECK(HOLDS(t, A, C, B, D));
    CHECK(!t->held[0].read);   /* the first A is the one left */
    cw_released(t, A);
    CHECK(HOLDS(t, C, B, D));

    cw_held_remove(t, 1);
    CHECK(HOLDS(t, C, D));
    cw_held_remove(t, 1);
    CHECK(HOLDS(t, C));
    cw_held_remove(t, 0);
    CHECK(t->nheld == 0);
    cw_released(t, C);   /* nothing held: stays empty */
    CHECK(t->nheld == 0);

    /* More holds than CW_MAX_HELD: the extra ones are not recorded; their
     * releases find nothing; the recorded ones still come off in order. */
    static char many[CW_MAX_HELD + 10];
    for (int i = 0; i < CW_MAX_HELD + 10; i++)
        take(t, (uintptr_t)&many[i], CW_KIND_MUTEX, false);
    CHECK(t->nheld == CW_MAX_HELD);
    CHECK(cw_held_index(t, (uintptr_t)&many[CW_MAX_HELD - 1]) == CW_MAX_HELD - 1);
    CHECK(cw_held_index(t, (uintptr_t)&many[CW_MAX_HELD]) == -1);
    int bad = 0;
    for (int i = CW_MAX_HELD + 9; i >= 0; i--) {
        cw_released(t, (uintptr_t)&many[i]);
        bad += t->nheld != (uint32_t)(i < CW_MAX_HELD ? i : CW_MAX_HELD);
    }
    CHECK(bad == 0);
    CHECK(t->nheld == 0);

    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}

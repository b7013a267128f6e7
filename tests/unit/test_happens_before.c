/*
 * detector/races/happens_before: the order it derives from release/acquire
 * pairs, thread hand-overs and rwlocks, checked on real threads run one
 * after the other (each step waits for the previous one with a plain
 * pthread_join, which the engine does not see: only the calls made to it
 * order the steps, as in the shim).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>

#include "check.h"
#include "races/happens_before.h"

static int m1, m2, sem, rw, handoff;   /* stand-ins for sync objects: only their addresses matter */

typedef struct step {
    void (*fn)(struct step *);
    cw_hb_epoch epoch;       /* an access recorded by the step */
    bool ordered;            /* what cw_hb_ordered said of the step's `of` */
    const struct step *of;
} step;

static void *run_step(void *arg)
{
    step *s = arg;
    s->fn(s);
    cw_hb_thread_exit();
    return NULL;
}

/* Runs fn on a new thread and waits for it (invisibly to the engine). */
static void run(step *s)
{
    pthread_t t;
    pthread_create(&t, NULL, run_step, s);
    pthread_join(t, NULL);
}

static void access_then_release_m1(step *s) { s->epoch = cw_hb_now(); cw_hb_release(&m1); }
static void access_then_release_m2(step *s) { s->epoch = cw_hb_now(); cw_hb_release(&m2); }
static void release_then_access_m1(step *s) { cw_hb_release(&m1); s->epoch = cw_hb_now(); }
static void acquire_m1_check(step *s) { cw_hb_acquire(&m1); s->ordered = cw_hb_ordered(s->of->epoch); }
static void acquire_m2_check(step *s) { cw_hb_acquire(&m2); s->ordered = cw_hb_ordered(s->of->epoch); }
static void check_only(step *s) { s->ordered = cw_hb_ordered(s->of->epoch); }
static void acquire_m1_release_m2(step *s) { (void)s; cw_hb_acquire(&m1); cw_hb_release(&m2); }
static void post_sem(step *s) { s->epoch = cw_hb_now(); cw_hb_release(&sem); }
static void wait_sem_check(step *s) { cw_hb_acquire(&sem); s->ordered = cw_hb_ordered(s->of->epoch); }
static void write_unlock(step *s) { s->epoch = cw_hb_now(); cw_hb_release(&rw); }
static void read_unlock(step *s) { s->epoch = cw_hb_now(); cw_hb_release_shared(&rw); }
static void read_lock_check(step *s) { cw_hb_acquire_shared(&rw); s->ordered = cw_hb_ordered(s->of->epoch); }
static void write_lock_check(step *s) { cw_hb_acquire(&rw); s->ordered = cw_hb_ordered(s->of->epoch); }

static void test_release_acquire(void)
{
    step a = { .fn = access_then_release_m1 }, b = { .fn = acquire_m1_check, .of = &a };
    run(&a);
    run(&b);
    CHECK(a.epoch != 0);
    CHECK(b.ordered);          /* unlock -> lock orders the access before it */

    step c = { .fn = release_then_access_m1 }, d = { .fn = acquire_m1_check, .of = &c };
    run(&c);
    run(&d);
    CHECK(!d.ordered);         /* an access after the release is not ordered by it */

    step e = { .fn = access_then_release_m1 }, f = { .fn = check_only, .of = &e };
    run(&e);
    run(&f);
    CHECK(!f.ordered);         /* no acquire: not ordered, however late */

    step g = { .fn = access_then_release_m2 }, h = { .fn = acquire_m1_check, .of = &g };
    run(&g);
    run(&h);
    CHECK(!h.ordered);         /* another lock orders nothing */
}

static void test_transitive(void)
{
    step a = { .fn = access_then_release_m1 }, b = { .fn = acquire_m1_release_m2 }, c = { .fn = acquire_m2_check, .of = &a };
    run(&a);
    run(&b);
    run(&c);
    CHECK(c.ordered);          /* a -> m1 -> b -> m2 -> c */
}

static void test_semaphore(void)
{
    step a = { .fn = post_sem }, b = { .fn = wait_sem_check, .of = &a };
    run(&a);
    run(&b);
    CHECK(b.ordered);
}

static void test_rwlock(void)
{
    step r1 = { .fn = read_unlock }, r2 = { .fn = read_lock_check, .of = &r1 };
    run(&r1);
    run(&r2);
    CHECK(!r2.ordered);        /* reader after reader: no order */

    step r3 = { .fn = read_unlock }, w = { .fn = write_lock_check, .of = &r3 };
    run(&r3);
    run(&w);
    CHECK(w.ordered);          /* a writer comes after the readers */

    step w2 = { .fn = write_unlock }, r4 = { .fn = read_lock_check, .of = &w2 };
    run(&w2);
    run(&r4);
    CHECK(r4.ordered);         /* a reader comes after the writers */
}

/* Thread creation and join, as the shim's wrapper does them. */
static cw_hb_epoch parent_epoch, child_epoch;
static bool child_saw_parent;

static void *child(void *arg)
{
    (void)arg;
    cw_hb_acquire_once(&handoff);
    child_saw_parent = cw_hb_ordered(parent_epoch);
    child_epoch = cw_hb_now();
    cw_hb_thread_exit();
    return NULL;
}

static void test_create_join(void)
{
    parent_epoch = cw_hb_now();
    cw_hb_release(&handoff);
    pthread_t t;
    pthread_create(&t, NULL, child, NULL);
    pthread_join(t, NULL);
    CHECK(child_saw_parent);
    CHECK(!cw_hb_ordered(child_epoch));   /* the engine has not seen the join yet */
    cw_hb_thread_joined(t);
    CHECK(cw_hb_ordered(child_epoch));
}

/* Clocks off: releases and acquires are not kept, and no epoch is handed out. */
static void test_off(void)
{
    cw_hb_unuse();
    CHECK(!cw_hb_enabled());
    CHECK(cw_hb_now() == 0);
    cw_hb_use();
    CHECK(cw_hb_enabled());
}

/* Many threads one after the other reuse slots; an ended thread's access
 * stays unordered for a thread that never synchronised with it. */
static void test_slot_reuse(void)
{
    step first = { .fn = access_then_release_m1 };
    run(&first);
    for (int i = 0; i < 3 * CW_HB_MAX_SLOTS; i++) {
        step s = { .fn = access_then_release_m2 };
        run(&s);
        CHECK(cw_hb_epoch_slot(s.epoch) < CW_HB_MAX_SLOTS);
    }
    step late = { .fn = check_only, .of = &first };
    run(&late);
    CHECK(!late.ordered);
    CHECK(!cw_hb_failed());
}

int main(void)
{
    cw_hb_use();
    test_release_acquire();
    test_transitive();
    test_semaphore();
    test_rwlock();
    test_create_join();
    test_off();
    test_slot_reuse();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}

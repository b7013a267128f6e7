#define _GNU_SOURCE
/*
 * pthread rwlocks.  Readers don't block readers, so both the lock-order graph
 * and the self-deadlock check care about the mode each hold was taken in.
 * glibc records the writer's tid (__data.__cur_writer) and answers EDEADLK
 * when the writer asks again; a writer request from a thread that holds a
 * read lock waits forever.
 *
 * rdlock, wrlock, the trylocks and unlock have a fast path (see
 * interceptor.h) for a thread that holds nothing else: the real trylock then
 * four stores for the hold; an unlock pops its hold and jumps to the real
 * unlock.  A lock that is busy (the try fails) or anything unusual takes the
 * general path.
 */
#include <errno.h>
#include <pthread.h>

#include "interceptor.h"

typedef enum { RW_READ, RW_WRITE } rw_mode;

/* Re-acquisition by a holder: returns after reporting if it must. */
static void check_reacquire(cw_thread *t, pthread_rwlock_t *rw, rw_mode mode, bool timed, uintptr_t pc)
{
    if (rw->__data.__cur_writer == t->tid) {
        cw_self_deadlock(t, (uintptr_t)rw, CW_KIND_RWLOCK, false, pc);   /* EDEADLK */
        return;
    }
    if (mode == RW_WRITE && cw_held_index(t, (uintptr_t)rw) >= 0)
        cw_self_deadlock(t, (uintptr_t)rw, CW_KIND_RWLOCK, !timed, pc);
}

typedef int (*try_fn)(pthread_rwlock_t *);

__attribute__((noinline, cold)) static int acquire(pthread_rwlock_t *rw, rw_mode mode, cw_acquire_mode how,
                   int (*wait)(pthread_rwlock_t *, clockid_t, const struct timespec *),
                   clockid_t clock, const struct timespec *abstime, uintptr_t pc)
{
    cw_thread *t = cw_enter();
    try_fn try = mode == RW_READ ? REAL(pthread_rwlock_tryrdlock) : REAL(pthread_rwlock_trywrlock);
    if (!t)
        return wait(rw, clock, abstime);
    int rc;
    if (how == CW_ACQ_TRY) {
        rc = try(rw);
    } else {
        check_reacquire(t, rw, mode, how == CW_ACQ_TIMED, pc);
        rc = try(rw);
        if (rc == EBUSY) {
            cw_wait_begin(t, rw, CW_KIND_RWLOCK, how == CW_ACQ_TIMED, pc);
            rc = wait(rw, clock, abstime);
            cw_wait_end(t);
        }
    }
    int saved = errno;
    if (rc == 0) {
        if (cw_hb_enabled())
            (mode == RW_READ ? cw_hb_acquire_shared : cw_hb_acquire)(rw);
        cw_acquired(t, (uintptr_t)rw, CW_KIND_RWLOCK, mode == RW_READ, how, pc);
    }
    errno = saved;
    cw_leave(t);
    return rc;
}

/* The fast path of rdlock, wrlock and the trylocks: a thread holding no other
 * lock (so it cannot be re-acquiring this one) whose real trylock succeeds.
 * Happens-before clocks being kept take the general path (its acquire hook). */
static inline int acquire_fast(pthread_rwlock_t *rw, rw_mode mode, cw_acquire_mode how,
                               int (*wait)(pthread_rwlock_t *, clockid_t, const struct timespec *),
                               uintptr_t pc)
{
    cw_thread *t = cw_fast_enter();
    if (__builtin_expect(!t || t->nheld != 0 || rw->__data.__cur_writer == t->tid || cw_hb_enabled(), 0))
        return acquire(rw, mode, how, wait, 0, NULL, pc);
    t->depth = 1;
    int rc = mode == RW_READ ? REAL_READY(pthread_rwlock_tryrdlock)(rw) : REAL_READY(pthread_rwlock_trywrlock)(rw);
    if (__builtin_expect(rc != 0, 0)) {
        t->depth = 0;
        /* A trylock's answer stands; a blocking acquire goes the general way
         * (its own try, then the marked wait). */
        return how == CW_ACQ_TRY ? rc : acquire(rw, mode, how, wait, 0, NULL, pc);
    }
    return cw_fast_acquired(t, (uintptr_t)rw, CW_KIND_RWLOCK, mode == RW_READ, how, pc);
}

/* Adapters so every variant shares acquire(). */
static int rd(pthread_rwlock_t *rw, clockid_t c, const struct timespec *a) { (void)c; (void)a; return REAL(pthread_rwlock_rdlock)(rw); }
static int wr(pthread_rwlock_t *rw, clockid_t c, const struct timespec *a) { (void)c; (void)a; return REAL(pthread_rwlock_wrlock)(rw); }
static int tryrd(pthread_rwlock_t *rw, clockid_t c, const struct timespec *a) { (void)c; (void)a; return REAL(pthread_rwlock_tryrdlock)(rw); }
static int trywr(pthread_rwlock_t *rw, clockid_t c, const struct timespec *a) { (void)c; (void)a; return REAL(pthread_rwlock_trywrlock)(rw); }
static int timedrd(pthread_rwlock_t *rw, clockid_t c, const struct timespec *a) { (void)c; return REAL(pthread_rwlock_timedrdlock)(rw, a); }
static int timedwr(pthread_rwlock_t *rw, clockid_t c, const struct timespec *a) { (void)c; return REAL(pthread_rwlock_timedwrlock)(rw, a); }
static int clockrd(pthread_rwlock_t *rw, clockid_t c, const struct timespec *a) { return REAL(pthread_rwlock_clockrdlock)(rw, c, a); }
static int clockwr(pthread_rwlock_t *rw, clockid_t c, const struct timespec *a) { return REAL(pthread_rwlock_clockwrlock)(rw, c, a); }

int pthread_rwlock_rdlock(pthread_rwlock_t *rw) { return acquire_fast(rw, RW_READ, CW_ACQ_BLOCKING, rd, CW_CALLER_PC()); }
int pthread_rwlock_wrlock(pthread_rwlock_t *rw) { return acquire_fast(rw, RW_WRITE, CW_ACQ_BLOCKING, wr, CW_CALLER_PC()); }
int pthread_rwlock_tryrdlock(pthread_rwlock_t *rw) { return acquire_fast(rw, RW_READ, CW_ACQ_TRY, tryrd, CW_CALLER_PC()); }
int pthread_rwlock_trywrlock(pthread_rwlock_t *rw) { return acquire_fast(rw, RW_WRITE, CW_ACQ_TRY, trywr, CW_CALLER_PC()); }
int pthread_rwlock_timedrdlock(pthread_rwlock_t *rw, const struct timespec *a) { return acquire(rw, RW_READ, CW_ACQ_TIMED, timedrd, 0, a, CW_CALLER_PC()); }
int pthread_rwlock_timedwrlock(pthread_rwlock_t *rw, const struct timespec *a) { return acquire(rw, RW_WRITE, CW_ACQ_TIMED, timedwr, 0, a, CW_CALLER_PC()); }
int pthread_rwlock_clockrdlock(pthread_rwlock_t *rw, clockid_t c, const struct timespec *a) { return acquire(rw, RW_READ, CW_ACQ_TIMED, clockrd, c, a, CW_CALLER_PC()); }
int pthread_rwlock_clockwrlock(pthread_rwlock_t *rw, clockid_t c, const struct timespec *a) { return acquire(rw, RW_WRITE, CW_ACQ_TIMED, clockwr, c, a, CW_CALLER_PC()); }

__attribute__((noinline, cold)) static int unlock_general(pthread_rwlock_t *rw, uintptr_t pc)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_rwlock_unlock)(rw);
    if (cw_hb_enabled())
        (rw->__data.__cur_writer == t->tid ? cw_hb_release : cw_hb_release_shared)(rw);
    if (cw_held_index(t, (uintptr_t)rw) >= 0) {
        cw_released(t, (uintptr_t)rw);
    } else {
        /* Only certain cases: another thread is the writer, or nobody holds it.
         * (glibc keeps no list of readers to tell a foreign reader's unlock.) */
        int writer = rw->__data.__cur_writer;
        unsigned readers = rw->__data.__readers >> 3;   /* PTHREAD_RWLOCK_READER_SHIFT */
        if (writer != 0 || readers == 0)
            cw_unlock_misuse(t, (uintptr_t)rw, CW_KIND_RWLOCK, writer, pc);
    }
    int rc = REAL(pthread_rwlock_unlock)(rw);
    cw_leave(t);
    return rc;
}

/* A holder's unlock of its most recent hold: pop it, jump to the real unlock
 * (see pthread_mutex_unlock). */
int pthread_rwlock_unlock(pthread_rwlock_t *rw)
{
    cw_thread *t = cw_fast_enter();
    uint32_t n;
    if (__builtin_expect(!t || cw_hb_enabled() || (n = t->nheld) == 0 || t->held[n - 1].addr != (uintptr_t)rw, 0))
        return unlock_general(rw, CW_CALLER_PC());
    t->nheld = n - 1;
    return REAL_READY(pthread_rwlock_unlock)(rw);
}

int pthread_rwlock_init(pthread_rwlock_t *rw, const pthread_rwlockattr_t *attr)
{
    int rc = REAL(pthread_rwlock_init)(rw, attr);
    cw_thread *t = cw_enter();
    if (!t)
        return rc;
    if (rc == 0)
        cw_lock_created(t, (uintptr_t)rw, CW_KIND_RWLOCK, CW_CALLER_PC());
    cw_leave(t);
    return rc;
}

int pthread_rwlock_destroy(pthread_rwlock_t *rw)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(pthread_rwlock_destroy)(rw);
    bool locked = rw->__data.__cur_writer != 0 || (rw->__data.__readers >> 3) != 0;
    cw_lock_destroyed(t, (uintptr_t)rw, CW_KIND_RWLOCK, locked, CW_CALLER_PC());
    int rc = REAL(pthread_rwlock_destroy)(rw);
    cw_leave(t);
    return rc;
}

#define _GNU_SOURCE
/*
 * POSIX semaphores.  A semaphore created with value 1 and used wait-then-post
 * is a lock (CPython's threading.Lock is one), so takes and posts are
 * recorded as holds; counting semaphores are only waits for the hang watcher.
 * Every blocking wait first tries without waiting so that the watcher only
 * ever sees threads that really sleep.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>

#include "interceptor.h"
#include "pyraces/py_race_install.h"

/* gcc 12's ThreadSanitizer runtime has no sem_clockwait interceptor: a
 * clockwait that blocks goes from here straight to glibc, TSan never learns
 * that the post it consumed happened before it, and reports the data handed
 * over as a race.  We tell TSan, as its own sem_wait interceptor would
 * (harmless when a newer runtime intercepts it too: acquiring twice). */
static void (*tsan_acquire)(void *);

void cw_semaphores_init(void)
{
    tsan_acquire = (void (*)(void *))dlsym(RTLD_DEFAULT, "__tsan_acquire");
}

int sem_init(sem_t *s, int pshared, unsigned value)
{
    cw_thread *t = cw_enter();
    if (t) {
        int saved = errno;
        cw_semaphore_initialising(t, (uintptr_t)s, CW_CALLER_PC());   /* while threads wait on it? */
        errno = saved;
    }
    int rc = REAL(sem_init)(s, pshared, value);
    if (!t)
        return rc;
    int saved = errno;
    if (rc == 0)
        cw_semaphore_created(t, (uintptr_t)s, value, CW_CALLER_PC());
    cw_py_races_at_semaphore();
    errno = saved;
    cw_leave(t);
    return rc;
}

int sem_destroy(sem_t *s)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(sem_destroy)(s);
    uintptr_t pc = CW_CALLER_PC();
    int saved = errno;
    cw_semaphore_destroying(t, (uintptr_t)s, pc);
    cw_lock_destroyed(t, (uintptr_t)s, CW_KIND_SEMAPHORE, false, pc);
    errno = saved;
    cw_wait_mark(t, s, CW_KIND_SEMAPHORE, false, pc);   /* every forwarded call that may block is a wait */
    int rc = REAL(sem_destroy)(s);
    cw_wait_end(t);
    cw_leave(t);
    return rc;
}

/* Happens-before through a semaphore, for the race checks: in CPython only
 * through the program's own locks (cw_semaphore_orders). */
static inline void cw_order_semaphore_acquire(sem_t *s)
{
    if (cw_hb_enabled() && cw_semaphore_orders((uintptr_t)s))
        cw_hb_acquire(s);
}

static inline void cw_order_semaphore_release(sem_t *s)
{
    if (cw_hb_enabled() && cw_semaphore_orders((uintptr_t)s))
        cw_hb_release(s);
}

enum { SEM_WAIT, SEM_TIMEDWAIT, SEM_CLOCKWAIT };

/* The waits are cancellation points (see cw_wait_cancelled); apart, so that
 * no variable of the caller lives across the cleanup's setjmp. */
__attribute__((noinline)) static int cancellable_wait(cw_thread *t, sem_t *s, int variant, clockid_t clock,
                                                      const struct timespec *abstime)
{
    int rc;
    pthread_cleanup_push(cw_wait_cancelled, t);
    rc = variant == SEM_WAIT        ? REAL(sem_wait)(s)
         : variant == SEM_TIMEDWAIT ? REAL(sem_timedwait)(s, abstime)
                                    : REAL(sem_clockwait)(s, clock, abstime);
    pthread_cleanup_pop(0);
    return rc;
}

/* Recording a take of a semaphore may call CPython's API (the Python
 * stack of the take), and the API may allocate: with tracemalloc on, every
 * allocation and every new object takes tracemalloc's tables lock, a
 * semaphore.  When the take being recorded is of that very lock, the
 * nested take would wait for this thread forever (measured: any program
 * under `python -X tracemalloc` or calling tracemalloc.start() hung).  So a
 * take of the semaphore this thread is being recorded taking, made inside
 * that recording, is granted at once, and its post is not forwarded: the
 * thread does hold it, and the nested code runs and lets go of it before
 * the outer code's critical section begins. */
static void record_take(cw_thread *t, sem_t *s, cw_acquire_mode mode, uintptr_t pc)
{
    t->recording_take = (uintptr_t)s;
    t->nested_takes = 0;
    cw_semaphore_taken(t, (uintptr_t)s, mode, pc);
    t->recording_take = 0;
}

/* A call made inside the shim: a nested take of the semaphore being
 * recorded (see record_take). */
static bool nested_take(sem_t *s)
{
    if (!atomic_load_explicit(&cw_shim_ready, memory_order_relaxed))
        return false;
    cw_thread *t = cw_tls_self;
    if (!t || !t->depth || t->recording_take != (uintptr_t)s)
        return false;
    t->nested_takes++;
    return true;
}

static bool nested_post(sem_t *s)
{
    if (!atomic_load_explicit(&cw_shim_ready, memory_order_relaxed))
        return false;
    cw_thread *t = cw_tls_self;
    if (!t || !t->depth || t->recording_take != (uintptr_t)s || !t->nested_takes)
        return false;
    t->nested_takes--;
    return true;
}

static int sem_take(sem_t *s, int variant, clockid_t clock, const struct timespec *abstime, uintptr_t pc)
{
    cw_thread *t = cw_enter();
#define REAL_WAIT()                                                        \
    (variant == SEM_WAIT        ? REAL(sem_wait)(s)                        \
     : variant == SEM_TIMEDWAIT ? REAL(sem_timedwait)(s, abstime)          \
                                : REAL(sem_clockwait)(s, clock, abstime))
    if (!t) {
        if (nested_take(s))
            return 0;
        int rc = REAL_WAIT();
        if (rc == 0 && variant == SEM_CLOCKWAIT && tsan_acquire)
            tsan_acquire(s);
        return rc;
    }
    int rc = REAL(sem_trywait)(s);
    if (rc != 0 && errno == EAGAIN) {
        cw_semaphore_wait_begin((uintptr_t)s);
        cw_wait_begin(t, s, CW_KIND_SEMAPHORE, variant != SEM_WAIT, pc);
        rc = cancellable_wait(t, s, variant, clock, abstime);
        int saved = errno;
        cw_wait_end(t);
        cw_semaphore_wait_end((uintptr_t)s);
        errno = saved;
        if (rc == 0 && variant == SEM_CLOCKWAIT && tsan_acquire)
            tsan_acquire(s);
    }
#undef REAL_WAIT
    int saved = errno;
    if (rc == 0) {
        cw_order_semaphore_acquire(s);
        record_take(t, s, variant == SEM_WAIT ? CW_ACQ_BLOCKING : CW_ACQ_TIMED, pc);
    }
    errno = saved;
    cw_leave(t);
    return rc;
}

int sem_wait(sem_t *s) { return sem_take(s, SEM_WAIT, 0, NULL, CW_CALLER_PC()); }

int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
    return sem_take(s, SEM_TIMEDWAIT, 0, abstime, CW_CALLER_PC());
}

int sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *abstime)
{
    return sem_take(s, SEM_CLOCKWAIT, clock, abstime, CW_CALLER_PC());
}

int sem_trywait(sem_t *s)
{
    cw_thread *t = cw_enter();
    if (!t)
        return nested_take(s) ? 0 : REAL(sem_trywait)(s);
    int rc = REAL(sem_trywait)(s);
    int saved = errno;
    if (rc == 0) {
        cw_order_semaphore_acquire(s);
        record_take(t, s, CW_ACQ_TRY, CW_CALLER_PC());
    } else
        cw_semaphore_busy(t, (uintptr_t)s);
    cw_py_races_at_semaphore();
    errno = saved;
    cw_leave(t);
    return rc;
}

int sem_post(sem_t *s)
{
    cw_thread *t = cw_enter();
    if (!t)
        return nested_post(s) ? 0 : REAL(sem_post)(s);
    /* Before the real post: the thread it wakes records its own take after ours. */
    cw_semaphore_posted(t, (uintptr_t)s);
    cw_order_semaphore_release(s);
    int rc = REAL(sem_post)(s);
    cw_leave(t);
    return rc;
}

/* Named semaphores (sem_open): shared with every process that opens the
 * same name, or inherits the mapping over fork (a multiprocessing.Lock).  One
 * made here (O_CREAT | O_EXCL: certainly new) is known with its value, so a
 * binary one is a lock, as after sem_init; one opened by name was made by
 * another process, whose value is not known here: only its waits count. */
sem_t *sem_open(const char *name, int oflag, ...)
{
    mode_t mode = 0;
    unsigned value = 0;
    if (oflag & O_CREAT) {
        va_list ap;
        va_start(ap, oflag);
        mode = (mode_t)va_arg(ap, unsigned);
        value = va_arg(ap, unsigned);
        va_end(ap);
    }
    sem_t *s = oflag & O_CREAT ? REAL(sem_open)(name, oflag, mode, value) : REAL(sem_open)(name, oflag);
    cw_thread *t = cw_enter();
    if (!t)
        return s;
    int saved = errno;
    if (s != SEM_FAILED && (oflag & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
        cw_semaphore_created(t, (uintptr_t)s, value, CW_CALLER_PC());
    errno = saved;
    cw_leave(t);
    return s;
}

int sem_close(sem_t *s)
{
    cw_thread *t = cw_enter();
    if (!t)
        return REAL(sem_close)(s);
    int saved = errno;
    cw_lock_destroyed(t, (uintptr_t)s, CW_KIND_SEMAPHORE, false, CW_CALLER_PC());   /* gone from this process */
    errno = saved;
    int rc = REAL(sem_close)(s);
    cw_leave(t);
    return rc;
}

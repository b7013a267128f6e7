/*
 * Happens-before between the program's threads, from the synchronisation the
 * shim intercepts: vector clocks, as in FastTrack (Flanagan & Freund, PLDI
 * 2009) and ThreadSanitizer.
 *
 * What it answers: "does the access that thread U made at epoch e happen
 * before what the calling thread does now?"  An epoch is (U's clock slot,
 * U's clock at the access); the calling thread knows it iff its vector
 * clock's entry for that slot has reached that clock.  Two accesses to one
 * variable, one a write, neither ordered before the other, are a data race
 * whether or not they overlapped in time.
 *
 * Where the order comes from (every edge the shim sees):
 *   release -> acquire on one object: mutex unlock -> lock, rwlock unlock ->
 *     lock (a read unlock orders only later writers: see _shared), spinlock,
 *     sem_post -> sem_wait/trywait, cond signal/broadcast -> the wait's
 *     return, barrier arrival -> every departure of that round;
 *   thread creation -> the child's first step; the child's end -> join.
 * A thread's own clock ticks at each release, so accesses after a release are
 * not ordered by it.
 *
 * Kept only while someone needs it: clocks cost a table lookup and a vector
 * join per synchronisation, so the interceptors call in here only while
 * cw_hb_enabled() (one relaxed load on their fast path).  Users turn it on
 * with cw_hb_use() and off with cw_hb_unuse().  Sound across such periods:
 * two accesses are only ever compared when both were recorded while it was
 * on, and every edge between them then happened while it was on too; what
 * was skipped while off can only make two threads look less ordered than
 * they are for accesses made before the gap, which are never compared (a
 * user drops its recorded accesses before it turns clocks off).
 *
 * Imprecision, always towards missing a race, never towards a false one:
 *   - once CW_HB_MAX_SLOTS threads have had a slot, the slot of an ended
 *     thread is reused by a later thread, which continues its clock: the
 *     earlier thread's accesses then look ordered before whatever the later
 *     one knows (slots never used are taken first);
 *   - a sync object's clock lives at its address: a new object at the
 *     address of an old one inherits the old one's clock;
 *   - more than CW_HB_MAX_SLOTS threads alive at once: the extra threads get
 *     no slot (their accesses cannot be recorded) but still carry clocks;
 *   - when the object table is full, acquires of objects not in it add
 *     nothing... which would be a false race: instead the engine turns itself
 *     off for good (cw_hb_failed() is true) and users stop judging by order.
 *
 * Threads: every function acts for the calling thread; state per thread is
 * thread-local (initial-exec TLS), sync objects are guarded by a spin lock
 * each.  No malloc: memory comes from mmap.  Async-signal-safe: cw_hb_now,
 * cw_hb_ordered, cw_hb_slot (what a trap handler needs); the rest must not
 * run in a signal handler that interrupted one of them on the same thread
 * (the interceptors' re-entrancy guard sees to that).
 */
#ifndef CW_HAPPENS_BEFORE_H
#define CW_HAPPENS_BEFORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define CW_HB_MAX_SLOTS 256

/* An access's place in the order: slot << 48 | clock.  0 = none. */
typedef uint64_t cw_hb_epoch;

static inline unsigned cw_hb_epoch_slot(cw_hb_epoch e) { return (unsigned)(e >> 48); }
static inline uint64_t cw_hb_epoch_clock(cw_hb_epoch e) { return e & ((1ull << 48) - 1); }

extern __attribute__((visibility("hidden"))) atomic_int cw_hb_users;

/* Are clocks being kept?  The interceptors' fast-path test. */
static inline bool cw_hb_enabled(void)
{
    return __builtin_expect(atomic_load_explicit(&cw_hb_users, memory_order_relaxed) != 0, 0);
}

/* Keep clocks from now on (counted: each cw_hb_use needs its cw_hb_unuse). */
void cw_hb_use(void);
void cw_hb_unuse(void);
/* The engine ran out of memory or table room and stopped for good. */
bool cw_hb_failed(void);
/* How many synchronisations the engine has recorded so far (each costs a
 * table lookup and a vector join: users charge it to their budget).  Sums
 * per-thread counters: no shared cache line on the interceptors' path. */
uint64_t cw_hb_sync_count(void);

/* ---- the calling thread's accesses ---- */

/* The calling thread's current epoch (gives it a slot if it has none; 0 when
 * no slot is free or clocks are off). */
cw_hb_epoch cw_hb_now(void);
/* Does the access at `then` happen before the calling thread's present?
 * True for the calling thread's own earlier accesses. */
bool cw_hb_ordered(cw_hb_epoch then);

/* ---- synchronisation (call only while cw_hb_enabled()) ---- */

/* Everything the calling thread did so far happens before whoever acquires obj next. */
void cw_hb_release(const void *obj);
/* ... whoever acquires obj next exclusively (an rwlock's read unlock: later
 * readers are not ordered after earlier ones). */
void cw_hb_release_shared(const void *obj);
/* The calling thread now knows what every release of obj before it knew. */
void cw_hb_acquire(const void *obj);
/* The same for a shared acquire (rwlock read lock): only exclusive releases count. */
void cw_hb_acquire_shared(const void *obj);
/* acquire, then drop obj's clock (a one-time hand-over whose address will be reused). */
void cw_hb_acquire_once(const void *obj);

/* ---- threads ---- */

/* The calling thread is about to end: its clock goes to whoever joins it. */
void cw_hb_thread_exit(void);
/* The calling thread joined `thread` (pthread_join returned 0). */
void cw_hb_thread_joined(pthread_t thread);
/* The calling thread saw that `thread` has ended, without joining it (a
 * Python Thread.is_alive() that said no): the same order as a join, and
 * the ended thread's clock stays for whoever joins it. */
void cw_hb_thread_end_seen(pthread_t thread);
/* Thread creation: the parent calls cw_hb_release(handoff) before
 * pthread_create, the child cw_hb_acquire_once(handoff) first thing. */

/* fork(), in the child: only the calling thread lives on. */
void cw_hb_after_fork_child(void);

#endif

#define _GNU_SOURCE
#include "happens_before.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "common/hash.h"
#include "common/spin_lock.h"

#define TABLE_BITS 20
#define TABLE_SIZE (1u << TABLE_BITS)
#define MAX_PROBES 64
#define CLOCK_MASK ((1ull << 48) - 1)

atomic_int cw_hb_users;
static atomic_int failed;

/* ---- memory: vectors of clocks, by size class ---------------------------- */

/* A vector of `cap` clocks (cap a power of two, 4 to CW_HB_MAX_SLOTS);
 * entries past the owner's length are 0. */
typedef uint64_t hb_clock;

#define NCLASSES 7                    /* 4, 8, ..., 256 clocks */
#define ARENA_CHUNK (4u << 20)

static cw_spin_lock arena_lock;
static char *arena;
static size_t arena_left;
static void *free_lists[NCLASSES];

static unsigned class_of(unsigned n)
{
    unsigned c = 0;
    while ((4u << c) < n)
        c++;
    return c;
}

static hb_clock *vector_alloc(unsigned cls)
{
    size_t bytes = (size_t)(4u << cls) * sizeof(hb_clock);
    cw_spin_lock_acquire(&arena_lock);
    void *p = free_lists[cls];
    if (p) {
        free_lists[cls] = *(void **)p;
    } else {
        if (bytes > arena_left) {
            int saved = errno;   /* the program's: interceptors call in here */
            void *chunk = mmap(NULL, ARENA_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            errno = saved;
            if (chunk == MAP_FAILED) {
                cw_spin_lock_release(&arena_lock);
                return NULL;
            }
            arena = chunk;
            arena_left = ARENA_CHUNK;
        }
        p = arena;
        arena += bytes;
        arena_left -= bytes;
    }
    cw_spin_lock_release(&arena_lock);
    memset(p, 0, bytes);
    return p;
}

static void vector_free(hb_clock *v, unsigned cls)
{
    if (!v)
        return;
    cw_spin_lock_acquire(&arena_lock);
    *(void **)v = free_lists[cls];
    free_lists[cls] = v;
    cw_spin_lock_release(&arena_lock);
}

/* ---- slots --------------------------------------------------------------- */

/* One slot per thread that records accesses; a slot's clock carries on
 * across the threads that use it in turn (see the header: imprecision). */
static atomic_uchar slot_taken[CW_HB_MAX_SLOTS];
static _Atomic uint64_t slot_last_clock[CW_HB_MAX_SLOTS];
/* Slots below this have been used: vector joins stop here. */
static atomic_uint slots_high;

/* A slot never used before when there is one (a reused slot continues its
 * last owner's clock, so its new owner would take the old owner's accesses
 * for its own: see the header), else one an ended thread gave back. */
static int slot_claim(void)
{
    unsigned high = atomic_load(&slots_high);
    while (high < CW_HB_MAX_SLOTS) {
        if (atomic_compare_exchange_weak(&slots_high, &high, high + 1)) {
            atomic_store(&slot_taken[high], 1);
            return (int)high;
        }
    }
    for (unsigned s = 0; s < CW_HB_MAX_SLOTS; s++) {
        unsigned char expected = 0;
        if (!atomic_load_explicit(&slot_taken[s], memory_order_relaxed) &&
            atomic_compare_exchange_strong(&slot_taken[s], &expected, 1))
            return (int)s;
    }
    return -1;
}

/* ---- the calling thread -------------------------------------------------- */

typedef struct hb_thread {
    int slot;                         /* -1: none (has recorded nothing yet, or none free) */
    _Atomic uint64_t ops;             /* synchronisations recorded by this thread (cw_hb_sync_count) */
    hb_clock vc[CW_HB_MAX_SLOTS];     /* what this thread knows of each slot's clock */
    struct hb_thread *next_free;
    struct hb_thread *next_all;       /* every hb_thread ever made (they are never unmapped) */
} hb_thread;

static __thread hb_thread *self_tls __attribute__((tls_model("initial-exec")));
static cw_spin_lock threads_lock;
static hb_thread *free_threads;
static hb_thread *_Atomic all_threads;
static _Atomic uint64_t ops_of_ended;   /* ops of threads whose hb_thread was recycled */

static hb_thread *self(void)
{
    hb_thread *t = self_tls;
    if (__builtin_expect(t != NULL, 1))
        return t;
    cw_spin_lock_acquire(&threads_lock);
    t = free_threads;
    if (t)
        free_threads = t->next_free;
    cw_spin_lock_release(&threads_lock);
    if (!t) {
        int saved = errno;
        t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        errno = saved;
        if (t == MAP_FAILED)
            return NULL;
        memset(t, 0, sizeof *t);
        hb_thread *head = atomic_load(&all_threads);
        do
            t->next_all = head;
        while (!atomic_compare_exchange_weak(&all_threads, &head, t));
    } else {
        atomic_fetch_add(&ops_of_ended, atomic_load(&t->ops));
        hb_thread *keep = t->next_all;
        memset(t, 0, sizeof *t);
        t->next_all = keep;
    }
    t->slot = -1;
    self_tls = t;
    return t;
}

/* ---- sync objects -------------------------------------------------------- */

typedef struct hb_object {
    _Atomic uintptr_t addr;           /* 0: free; never cleared once set (tombstone-free probing) */
    cw_spin_lock lock;
    uint8_t cls, shared_cls;
    hb_clock *vc;                     /* every release */
    hb_clock *shared_vc;              /* shared releases only (rwlock read unlocks) */
} hb_object;

static hb_object *_Atomic table;

static hb_object *the_table(void)
{
    hb_object *t = atomic_load_explicit(&table, memory_order_acquire);
    if (__builtin_expect(t != NULL, 1))
        return t;
    int saved = errno;
    void *p = mmap(NULL, (size_t)TABLE_SIZE * sizeof(hb_object), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    errno = saved;
    if (p == MAP_FAILED)
        return NULL;
    hb_object *expected = NULL;
    if (!atomic_compare_exchange_strong(&table, &expected, (hb_object *)p)) {
        munmap(p, (size_t)TABLE_SIZE * sizeof(hb_object));
        return expected;
    }
    return p;
}

static void fail(void)
{
    atomic_store(&failed, 1);
    atomic_store(&cw_hb_users, 0);
}

static hb_object *lookup(uintptr_t addr, bool insert)
{
    hb_object *t = the_table();
    if (!t) {
        if (insert)
            fail();
        return NULL;
    }
    uint32_t i = cw_hash_addr(addr, TABLE_BITS);
    for (int probe = 0; probe < MAX_PROBES; probe++, i = (i + 1) & (TABLE_SIZE - 1)) {
        uintptr_t a = atomic_load_explicit(&t[i].addr, memory_order_acquire);
        if (a == addr)
            return &t[i];
        if (a != 0)
            continue;
        if (!insert)
            return NULL;
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong(&t[i].addr, &expected, addr) || expected == addr)
            return &t[i];
    }
    if (insert)
        fail();   /* a release we cannot keep would make a later acquire miss an order */
    return NULL;
}

static unsigned high_water(void)
{
    return atomic_load_explicit(&slots_high, memory_order_relaxed);
}

/* dst[0..n) = max(dst, src) */
static void join(hb_clock *dst, const hb_clock *src, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (src[i] > dst[i])
            dst[i] = src[i];
}

/* Makes *v (of class *cls) hold at least n clocks; false on no memory. */
static bool ensure(hb_clock **v, uint8_t *cls, unsigned n)
{
    unsigned want = class_of(n ? n : 1);
    if (*v && *cls >= want)
        return true;
    hb_clock *nv = vector_alloc(want);
    if (!nv)
        return false;
    if (*v) {
        memcpy(nv, *v, (size_t)(4u << *cls) * sizeof(hb_clock));
        vector_free(*v, *cls);
    }
    *v = nv;
    *cls = (uint8_t)want;
    return true;
}

static unsigned vector_len(const hb_clock *v, uint8_t cls, unsigned high)
{
    unsigned cap = v ? 4u << cls : 0;
    return cap < high ? cap : high;
}

static void tick(hb_thread *t)
{
    if (t->slot >= 0)
        t->vc[t->slot] = (t->vc[t->slot] + 1) & CLOCK_MASK;
}

/* An rwlock needs two clocks: `vc` gathers every release (a writer that
 * locks next comes after readers and writers alike), `shared_vc` only the
 * exclusive ones (a reader that locks next comes after earlier writers, not
 * after earlier readers).  shared_vc exists only from an object's first
 * shared release on, made then as a copy of vc (every release so far was
 * exclusive): mutexes and semaphores never pay for it. */
static void release_into(const void *obj, bool shared)
{
    hb_thread *t = self();
    if (!t)
        return;
    hb_object *o = lookup((uintptr_t)obj, true);
    if (!o)
        return;
    unsigned n = high_water();
    cw_spin_lock_acquire(&o->lock);
    bool ok = true;
    if (shared && !o->shared_vc) {
        ok = ensure(&o->shared_vc, &o->shared_cls, n);
        if (ok && o->vc)
            join(o->shared_vc, o->vc, vector_len(o->vc, o->cls, n));
    }
    ok = ok && ensure(&o->vc, &o->cls, n);
    if (ok)
        join(o->vc, t->vc, n);
    if (ok && !shared && o->shared_vc) {
        ok = ensure(&o->shared_vc, &o->shared_cls, n);
        if (ok)
            join(o->shared_vc, t->vc, n);
    }
    cw_spin_lock_release(&o->lock);
    if (!ok)
        fail();
    tick(t);
    atomic_store_explicit(&t->ops, atomic_load_explicit(&t->ops, memory_order_relaxed) + 1, memory_order_relaxed);
}

static void acquire_from(const void *obj, bool shared, bool once)
{
    hb_thread *t = self();
    if (!t)
        return;
    atomic_store_explicit(&t->ops, atomic_load_explicit(&t->ops, memory_order_relaxed) + 1, memory_order_relaxed);
    hb_object *o = lookup((uintptr_t)obj, false);
    if (!o)
        return;   /* never released while clocks were kept: nothing to learn */
    unsigned n = high_water();
    cw_spin_lock_acquire(&o->lock);
    bool from_shared = shared && o->shared_vc;
    const hb_clock *from = from_shared ? o->shared_vc : o->vc;
    if (from)
        join(t->vc, from, vector_len(from, from_shared ? o->shared_cls : o->cls, n));
    if (once) {
        vector_free(o->vc, o->cls);
        vector_free(o->shared_vc, o->shared_cls);
        o->vc = o->shared_vc = NULL;
    }
    cw_spin_lock_release(&o->lock);
}

void cw_hb_release(const void *obj) { release_into(obj, false); }
void cw_hb_release_shared(const void *obj) { release_into(obj, true); }
void cw_hb_acquire(const void *obj) { acquire_from(obj, false, false); }
void cw_hb_acquire_shared(const void *obj) { acquire_from(obj, true, false); }
void cw_hb_acquire_once(const void *obj) { acquire_from(obj, false, true); }

/* ---- accesses ------------------------------------------------------------ */

cw_hb_epoch cw_hb_now(void)
{
    if (!cw_hb_enabled())
        return 0;
    hb_thread *t = self();
    if (!t)
        return 0;
    if (t->slot < 0) {
        int s = slot_claim();
        if (s < 0)
            return 0;
        t->slot = s;
        t->vc[s] = (atomic_load(&slot_last_clock[s]) + 1) & CLOCK_MASK;
    }
    return (uint64_t)t->slot << 48 | t->vc[t->slot];
}

bool cw_hb_ordered(cw_hb_epoch then)
{
    hb_thread *t = self_tls;
    if (!then)
        return true;   /* nothing recorded: nothing to order */
    if (!t)
        return false;
    unsigned s = cw_hb_epoch_slot(then);
    return s < CW_HB_MAX_SLOTS && t->vc[s] >= cw_hb_epoch_clock(then);
}

/* ---- threads ------------------------------------------------------------- */

/* pthread_t values are thread control blocks, never a sync object's address;
 * the low bit keeps them apart from any aligned object anyway. */
static const void *thread_key(pthread_t thread)
{
    return (const void *)((uintptr_t)thread | 1);
}

void cw_hb_thread_exit(void)
{
    hb_thread *t = self_tls;
    if (!t)
        return;
    if (cw_hb_enabled())
        release_into(thread_key(pthread_self()), false);
    if (t->slot >= 0) {
        atomic_store(&slot_last_clock[t->slot], t->vc[t->slot]);
        atomic_store(&slot_taken[t->slot], 0);
    }
    self_tls = NULL;
    cw_spin_lock_acquire(&threads_lock);
    t->next_free = free_threads;
    free_threads = t;
    cw_spin_lock_release(&threads_lock);
}

void cw_hb_thread_joined(pthread_t thread)
{
    acquire_from(thread_key(thread), false, true);
}

void cw_hb_thread_end_seen(pthread_t thread)
{
    acquire_from(thread_key(thread), false, false);
}

/* ---- on and off ---------------------------------------------------------- */

void cw_hb_use(void)
{
    if (!atomic_load(&failed))
        atomic_fetch_add(&cw_hb_users, 1);
}

void cw_hb_unuse(void)
{
    int n = atomic_load(&cw_hb_users);
    while (n > 0 && !atomic_compare_exchange_weak(&cw_hb_users, &n, n - 1))
        ;
}

bool cw_hb_failed(void)
{
    return atomic_load(&failed) != 0;
}

uint64_t cw_hb_sync_count(void)
{
    uint64_t n = atomic_load(&ops_of_ended);
    for (hb_thread *t = atomic_load(&all_threads); t; t = t->next_all)
        n += atomic_load_explicit(&t->ops, memory_order_relaxed);
    return n;
}

void cw_hb_after_fork_child(void)
{
    /* Locks held by threads that did not survive are reset; the objects'
     * clocks start afresh (users drop what they recorded before the fork). */
    cw_spin_lock_reset(&arena_lock);
    cw_spin_lock_reset(&threads_lock);
    atomic_store(&table, NULL);
    hb_thread *t = self_tls;
    for (unsigned s = 0; s < CW_HB_MAX_SLOTS; s++)
        if (!t || (int)s != t->slot)
            atomic_store(&slot_taken[s], 0);
}

#include "thread_state.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/shim_health.h"
#include "lock_events.h"
#include "record_writer.h"
#include "common/spin_lock.h"
#include "stacks/stack_capture.h"

__thread cw_thread *cw_tls_self __attribute__((tls_model("initial-exec")));
__thread int cw_tls_untracked __attribute__((tls_model("initial-exec")));
bool cw_publish_thread_ids;
uint32_t cw_thread_slow_default = CW_SLOW_UNREADY;

#define MAX_SLOTS (1u << 16)
#define SLOTS_PER_CHUNK 64

static cw_thread *_Atomic *slots;          /* every slot ever made, for the watcher */
static _Atomic uint32_t nslots;
static cw_thread *free_slots;
static _Atomic uint32_t next_index;
static _Atomic uint32_t live_threads;       /* attached and not yet detached */
static cw_spin_lock registry_lock;
static pthread_key_t exit_key;
static _Atomic int exit_key_state;          /* 0 none, 1 creating, 2 ready */

static void on_thread_exit(void *arg)
{
    cw_thread *t = arg;
    if (t && t == cw_tls_self)
        cw_thread_detach(t);
}

/* A pthread key whose destructor detaches threads that end without passing
 * through our start-routine wrapper (threads created before the shim, or by
 * code that calls clone-based helpers). */
static void ensure_exit_key(void)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&exit_key_state, &expected, 1)) {
        if (pthread_key_create(&exit_key, on_thread_exit) == 0)
            atomic_store(&exit_key_state, 2);
        else
            atomic_store(&exit_key_state, 3);
        return;
    }
    /* Another thread is creating it: wait, or this thread would never be
     * detached (its slot would stay "alive" after it ends). */
    while (atomic_load(&exit_key_state) == 1)
        cw_cpu_relax();
}

static void publish_thread_id(const cw_thread *t)
{
    if (!cw_publish_thread_ids)
        return;
    char label[16];
    cw_thread_label(t->index, label, sizeof label);
    cw_record_thread_id(label, t->tid);
}

static cw_thread *new_slot_chunk(void)
{
    if (!slots) {
        void *p = cw_shim_mmap(MAX_SLOTS * sizeof(cw_thread *), MAP_NORESERVE, "the thread registry");
        if (!p)
            return NULL;
        slots = p;
    }
    uint32_t base = atomic_load(&nslots);
    if (base + SLOTS_PER_CHUNK > MAX_SLOTS)
        return NULL;
    cw_thread *chunk = cw_shim_mmap(SLOTS_PER_CHUNK * sizeof(cw_thread), 0, "the thread registry");
    if (!chunk)
        return NULL;
    for (uint32_t i = 0; i < SLOTS_PER_CHUNK; i++) {
        atomic_store(&slots[base + i], &chunk[i]);
        chunk[i].next_free = i + 1 < SLOTS_PER_CHUNK ? &chunk[i + 1] : NULL;
    }
    atomic_store(&nslots, base + SLOTS_PER_CHUNK);
    return chunk;
}

cw_thread *cw_thread_attach(void)
{
    cw_spin_lock_acquire(&registry_lock);
    if (cw_test_fault(CW_FAULT_SPIN) && atomic_load(&next_index) > 0)
        cw_spin_lock_acquire(&registry_lock);   /* test only: a deadlock inside the shim */
    if (!free_slots)
        free_slots = new_slot_chunk();
    cw_thread *t = free_slots;
    if (t)
        free_slots = t->next_free;
    cw_spin_lock_release(&registry_lock);
    if (!t)
        return NULL;

    /* Only the cheap fields need resetting; the thread's own caches are
     * emptied below (the graph caches, nested and edges, stay: see there). */
    memset(t, 0, offsetof(cw_thread, sites));
    memset(t->sites, 0, sizeof t->sites);
    memset(t->py_sites, 0, sizeof t->py_sites);
    t->py_pending = 0;
    t->py_pending_addr = 0;
    t->index = atomic_fetch_add(&next_index, 1);
    t->tid = (pid_t)syscall(SYS_gettid);
    t->self = pthread_self();
    t->parent = UINT32_MAX;
    t->start_routine = 0;
    t->slow = cw_thread_slow_default;
    t->watch_seq = 0;
    t->watch_addr = 0;
    atomic_store(&t->hang_captured, 0);
    cw_tls_self = t;
    atomic_store(&t->alive, 1);
    atomic_fetch_add(&live_threads, 1);

    t->depth++;
    ensure_exit_key();
    if (atomic_load(&exit_key_state) == 2)
        pthread_setspecific(exit_key, t);
    publish_thread_id(t);
    t->depth--;
    return t;
}

void cw_thread_detach(cw_thread *t)
{
    if (atomic_load(&exit_key_state) == 2 && t == cw_tls_self)
        pthread_setspecific(exit_key, NULL);
    atomic_store(&t->wait.addr, 0);
    if (atomic_exchange(&t->alive, 0))
        atomic_fetch_sub(&live_threads, 1);
    if (t == cw_tls_self) {
        cw_tls_self = NULL;
        cw_tls_untracked = 1;
    }
    cw_spin_lock_acquire(&registry_lock);
    t->next_free = free_slots;
    free_slots = t;
    cw_spin_lock_release(&registry_lock);
}

uint32_t cw_thread_live_count(void) { return atomic_load(&live_threads); }

void cw_thread_for_each(void (*fn)(cw_thread *, void *), void *arg)
{
    uint32_t n = atomic_load(&nslots);
    for (uint32_t i = 0; i < n; i++) {
        cw_thread *t = atomic_load(&slots[i]);
        if (t && atomic_load(&t->alive))
            fn(t, arg);
    }
}

/* Linear: used only when reporting and by the hang watcher. */
#define FIND_LIVE(cond)                                      \
    uint32_t n = atomic_load(&nslots);                       \
    for (uint32_t i = 0; i < n; i++) {                       \
        cw_thread *t = atomic_load(&slots[i]);               \
        if (t && atomic_load(&t->alive) && (cond))           \
            return t;                                        \
    }                                                        \
    return NULL

cw_thread *cw_thread_by_tid(pid_t tid) { FIND_LIVE(t->tid == tid); }
cw_thread *cw_thread_by_index(uint32_t index) { FIND_LIVE(t->index == index); }
cw_thread *cw_thread_by_pthread(pthread_t self) { FIND_LIVE(pthread_equal(t->self, self)); }

/* Second level of the site cache, shared by all threads: a call site reached
 * from threads running the same start routine nearly always has the same
 * stack, so a thousand workers cost one capture per site, not a thousand
 * (a capture costs microseconds and tens of KB of the thread's stack). */
#define SHARED_SITES (1u << 14)
#define STACK_BITS 22   /* the depot hands out fewer than 2^22 ids */
/* One word per entry (key bits | stack id), so readers never see a key with
 * another key's stack. */
static _Atomic uint64_t shared_sites[SHARED_SITES];

static uint64_t shared_key(const cw_thread *t, uintptr_t pc)
{
    uint64_t h = ((uint64_t)pc * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)t->start_routine * 0xc2b2ae3d27d4eb4full);
    return h & ~(((uint64_t)1 << STACK_BITS) - 1);
}

static cw_stack_id shared_site_get(uint64_t key)
{
    uint64_t e = atomic_load_explicit(&shared_sites[(key >> 48) & (SHARED_SITES - 1)], memory_order_relaxed);
    return (e & ~(((uint64_t)1 << STACK_BITS) - 1)) == key ? (cw_stack_id)(e & ((1u << STACK_BITS) - 1)) : 0;
}

static void shared_site_put(uint64_t key, cw_stack_id stack)
{
    if (stack < (1u << STACK_BITS))
        atomic_store_explicit(&shared_sites[(key >> 48) & (SHARED_SITES - 1)], key | stack, memory_order_relaxed);
}

cw_stack_id cw_thread_site_capture(cw_thread *t, uintptr_t pc)
{
    cw_site *s = cw_thread_site_slot(t, pc);
    uint64_t key = shared_key(t, pc);
    cw_stack_id id = shared_site_get(key);
    if (id) {
        s->pc = pc;
        s->stack = id;
        return id;
    }
    if (cw_test_fault(CW_FAULT_CRASH))
        cw_test_crash_here();   /* test only: a crash inside the shim */
    int saved = errno;
    id = cw_capture_stack(pc);
    errno = saved;
    if (id)
        shared_site_put(key, id);
    s->pc = pc;
    s->stack = id;
    return id;
}

void cw_thread_registry_before_fork(void) { cw_spin_lock_acquire(&registry_lock); }
void cw_thread_registry_after_fork_parent(void) { cw_spin_lock_release(&registry_lock); }

void cw_thread_registry_after_fork_child(void)
{
    /* Only the forking thread survives in the child: retire every other slot
     * (they stay allocated; their memory may still be read by nobody). */
    cw_thread *self = cw_tls_self;
    uint32_t n = atomic_load(&nslots);
    for (uint32_t i = 0; i < n; i++) {
        cw_thread *t = atomic_load(&slots[i]);
        if (t && t != self && atomic_load(&t->alive)) {
            atomic_store(&t->alive, 0);
            atomic_store(&t->wait.addr, 0);
            t->next_free = free_slots;
            free_slots = t;
        }
    }
    if (self) {
        self->fork_child = 1;
        __atomic_fetch_or(&self->slow, CW_SLOW_FORK_CHILD, __ATOMIC_RELAXED);   /* no fast path: see fork_child */
        self->tid = (pid_t)syscall(SYS_gettid);
    }
    atomic_store(&live_threads, self && atomic_load(&self->alive) ? 1 : 0);
    cw_spin_lock_reset(&registry_lock);
    if (self)
        publish_thread_id(self);   /* the child's own list */
}

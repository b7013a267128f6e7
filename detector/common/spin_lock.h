/*
 * The shim's own lock for its slow paths (lock-order graph, stack depot,
 * thread registry).
 *
 * Why not a pthread mutex: the shim intercepts pthread mutexes, and a lock of
 * our own must never show up in the program's lock graph nor recurse into our
 * interceptors.  Contention is rare (new edges, new call sites), so spinning
 * with sched_yield is fine.
 */
#ifndef CW_SPIN_LOCK_H
#define CW_SPIN_LOCK_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "clock.h"
#include "shim_health.h"

typedef struct cw_spin_lock {
    atomic_int taken;
} cw_spin_lock;

/* A wait of more than a second is published on the health page
 * (shim_health.h): the launcher's watchdog calls a long one a deadlock
 * inside the shim. */
static inline void cw_spin_lock_acquire(cw_spin_lock *l)
{
    uint64_t since = 0;
    for (unsigned spins = 0;; spins++) {
        if (!atomic_load_explicit(&l->taken, memory_order_relaxed) &&
            !atomic_exchange_explicit(&l->taken, 1, memory_order_acquire)) {
            if (__builtin_expect(since != 0, 0))
                cw_spin_lock_waited(l, since, true);
            return;
        }
        if (spins > 64) {
            sched_yield();
            if ((spins & 4095) == 0) {
                if (!since)
                    since = cw_now_ns();
                else
                    cw_spin_lock_waited(l, since, false);
            }
        } else {
            cw_cpu_relax();
        }
    }
}

/* Takes it only if free: for waits that must never spin. */
static inline bool cw_spin_lock_try(cw_spin_lock *l)
{
    return !atomic_load_explicit(&l->taken, memory_order_relaxed) &&
           !atomic_exchange_explicit(&l->taken, 1, memory_order_acquire);
}

static inline void cw_spin_lock_release(cw_spin_lock *l)
{
    atomic_store_explicit(&l->taken, 0, memory_order_release);
}

/* After fork() in the child: whoever held it no longer exists. */
static inline void cw_spin_lock_reset(cw_spin_lock *l)
{
    atomic_store_explicit(&l->taken, 0, memory_order_relaxed);
}

#endif

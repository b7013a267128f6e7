/* The kinds of synchronisation objects the shim tracks. */
#ifndef CW_LOCK_KIND_H
#define CW_LOCK_KIND_H

typedef enum cw_lock_kind {
    CW_KIND_NONE = 0,
    CW_KIND_MUTEX,
    CW_KIND_RWLOCK,
    CW_KIND_SPINLOCK,
    CW_KIND_SEMAPHORE,
    CW_KIND_CONDVAR,
    CW_KIND_BARRIER,
    CW_KIND_THREAD,      /* a join waits on a thread */
} cw_lock_kind;

static inline const char *cw_lock_kind_name(int kind)
{
    switch (kind) {
    case CW_KIND_MUTEX: return "mutex";
    case CW_KIND_RWLOCK: return "rwlock";
    case CW_KIND_SPINLOCK: return "spinlock";
    case CW_KIND_SEMAPHORE: return "semaphore";
    case CW_KIND_CONDVAR: return "condvar";
    case CW_KIND_BARRIER: return "barrier";
    case CW_KIND_THREAD: return "thread";
    default: return "lock";
    }
}

#endif

#define _GNU_SOURCE
#include "real_functions.h"

#include <dlfcn.h>
#include <stdatomic.h>

/* glibc's public aliases: usable before dlsym answers. */
extern int __pthread_mutex_init(pthread_mutex_t *, const pthread_mutexattr_t *);
extern int __pthread_mutex_destroy(pthread_mutex_t *);
extern int __pthread_mutex_lock(pthread_mutex_t *);
extern int __pthread_mutex_trylock(pthread_mutex_t *);
extern int __pthread_mutex_unlock(pthread_mutex_t *);
extern int __pthread_rwlock_init(pthread_rwlock_t *, const pthread_rwlockattr_t *);
extern int __pthread_rwlock_destroy(pthread_rwlock_t *);
extern int __pthread_rwlock_rdlock(pthread_rwlock_t *);
extern int __pthread_rwlock_tryrdlock(pthread_rwlock_t *);
extern int __pthread_rwlock_wrlock(pthread_rwlock_t *);
extern int __pthread_rwlock_trywrlock(pthread_rwlock_t *);
extern int __pthread_rwlock_unlock(pthread_rwlock_t *);

#define CW_DEFINE_REAL(ret, name, args) ret(*cw_real_##name) args;
CW_REAL_FUNCTIONS(CW_DEFINE_REAL)
#undef CW_DEFINE_REAL

static void set_fallbacks(void)
{
#define FALLBACK(name) if (!cw_real_##name) cw_real_##name = __##name
    FALLBACK(pthread_mutex_init);
    FALLBACK(pthread_mutex_destroy);
    FALLBACK(pthread_mutex_lock);
    FALLBACK(pthread_mutex_trylock);
    FALLBACK(pthread_mutex_unlock);
    FALLBACK(pthread_rwlock_init);
    FALLBACK(pthread_rwlock_destroy);
    FALLBACK(pthread_rwlock_rdlock);
    FALLBACK(pthread_rwlock_tryrdlock);
    FALLBACK(pthread_rwlock_wrlock);
    FALLBACK(pthread_rwlock_trywrlock);
    FALLBACK(pthread_rwlock_unlock);
#undef FALLBACK
}

void cw_real_functions_resolve(void)
{
    static atomic_int state;   /* 0 never, 1 resolving, 2 done */
    int expected = 0;
    if (!atomic_compare_exchange_strong(&state, &expected, 1)) {
        set_fallbacks();   /* re-entered from inside dlsym: go with the aliases */
        return;
    }
    set_fallbacks();
#define CW_RESOLVE(ret, name, args)                                     \
    {                                                                   \
        void *p = dlsym(RTLD_NEXT, #name);                              \
        if (p)                                                          \
            *(void **)&cw_real_##name = p;                              \
    }
    CW_REAL_FUNCTIONS(CW_RESOLVE)
#undef CW_RESOLVE
    atomic_store(&state, 2);
}

/*
 * The real pthread/semaphore functions behind our interceptors.
 *
 * Resolved with dlsym(RTLD_NEXT) — never dlvsym: under a -fsanitize=thread
 * build RTLD_NEXT reaches TSan's interceptors, which must keep seeing every
 * call, while a versioned lookup skips them.  Mutex and rwlock entries start
 * out pointing at glibc's public __pthread_* aliases so that calls arriving
 * before resolution (from constructors, or from an allocator that dlsym itself
 * calls into) still work.
 */
#ifndef CW_REAL_FUNCTIONS_H
#define CW_REAL_FUNCTIONS_H

#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <time.h>

#define CW_REAL_FUNCTIONS(X)                                                                  \
    X(int, pthread_mutex_init, (pthread_mutex_t *, const pthread_mutexattr_t *))              \
    X(int, pthread_mutex_destroy, (pthread_mutex_t *))                                         \
    X(int, pthread_mutex_lock, (pthread_mutex_t *))                                            \
    X(int, pthread_mutex_trylock, (pthread_mutex_t *))                                         \
    X(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *))              \
    X(int, pthread_mutex_clocklock, (pthread_mutex_t *, clockid_t, const struct timespec *))   \
    X(int, pthread_mutex_unlock, (pthread_mutex_t *))                                          \
    X(int, pthread_rwlock_init, (pthread_rwlock_t *, const pthread_rwlockattr_t *))           \
    X(int, pthread_rwlock_destroy, (pthread_rwlock_t *))                                       \
    X(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))                                        \
    X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))                                     \
    X(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t *, const struct timespec *))          \
    X(int, pthread_rwlock_clockrdlock, (pthread_rwlock_t *, clockid_t, const struct timespec *)) \
    X(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))                                        \
    X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))                                     \
    X(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t *, const struct timespec *))          \
    X(int, pthread_rwlock_clockwrlock, (pthread_rwlock_t *, clockid_t, const struct timespec *)) \
    X(int, pthread_rwlock_unlock, (pthread_rwlock_t *))                                        \
    X(int, pthread_spin_init, (pthread_spinlock_t *, int))                                     \
    X(int, pthread_spin_destroy, (pthread_spinlock_t *))                                       \
    X(int, pthread_spin_lock, (pthread_spinlock_t *))                                          \
    X(int, pthread_spin_trylock, (pthread_spinlock_t *))                                       \
    X(int, pthread_spin_unlock, (pthread_spinlock_t *))                                        \
    X(int, pthread_cond_wait, (pthread_cond_t *, pthread_mutex_t *))                           \
    X(int, pthread_cond_timedwait, (pthread_cond_t *, pthread_mutex_t *, const struct timespec *)) \
    X(int, pthread_cond_clockwait, (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *)) \
    X(int, pthread_cond_signal, (pthread_cond_t *))                                            \
    X(int, pthread_cond_broadcast, (pthread_cond_t *))                                         \
    X(int, pthread_cond_init, (pthread_cond_t *, const pthread_condattr_t *))                  \
    X(int, pthread_cond_destroy, (pthread_cond_t *))                                           \
    X(int, pthread_barrier_init, (pthread_barrier_t *, const pthread_barrierattr_t *, unsigned)) \
    X(int, pthread_barrier_destroy, (pthread_barrier_t *))                                     \
    X(int, pthread_barrier_wait, (pthread_barrier_t *))                                        \
    X(int, sem_init, (sem_t *, int, unsigned))                                                 \
    X(int, sem_destroy, (sem_t *))                                                             \
    X(int, sem_wait, (sem_t *))                                                                \
    X(int, sem_trywait, (sem_t *))                                                             \
    X(int, sem_timedwait, (sem_t *, const struct timespec *))                                  \
    X(int, sem_clockwait, (sem_t *, clockid_t, const struct timespec *))                       \
    X(int, sem_post, (sem_t *))                                                                \
    X(sem_t *, sem_open, (const char *, int, ...))                                             \
    X(int, sem_close, (sem_t *))                                                               \
    X(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))  \
    X(int, pthread_join, (pthread_t, void **))                                                 \
    X(void, pthread_exit, (void *))                                                            \
    X(void, free, (void *))                                                                    \
    X(int, munmap, (void *, size_t))                                                           \
    X(size_t, malloc_usable_size, (void *))

#define CW_DECLARE_REAL(ret, name, args) extern __attribute__((visibility("hidden"))) ret(*cw_real_##name) args;
CW_REAL_FUNCTIONS(CW_DECLARE_REAL)
#undef CW_DECLARE_REAL

/* Resolves every entry; safe to call again and from any interceptor. */
void cw_real_functions_resolve(void);

/* The real function, resolving on first use (calls can arrive before our constructor). */
#define REAL(name) \
    (__builtin_expect(cw_real_##name != NULL, 1) ? cw_real_##name \
                                                  : (cw_real_functions_resolve(), cw_real_##name))

#endif

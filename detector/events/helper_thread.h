/*
 * The tool's own threads inside the watched program (the hang watcher, the
 * race sampler): started with the real pthread_create, detached, with every
 * signal blocked (the program's signals are the program's), and never
 * recorded as threads of the program (cw_tls_untracked).
 */
#ifndef CW_HELPER_THREAD_H
#define CW_HELPER_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef int (*cw_thread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

typedef struct cw_helper_thread {
    const char *name;          /* for debugging: shown in /proc/<pid>/task/<tid>/comm */
    void (*run)(void);
    size_t stack_size;
} cw_helper_thread;

/* Starts h->run on a new helper thread; false if it could not be created.
 * `create` is the real pthread_create (the interposed one would record it). */
bool cw_helper_thread_start(cw_thread_create_fn create, const cw_helper_thread *h);

#endif

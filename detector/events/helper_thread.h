/*
 * The tool's own threads inside the watched program (the hang watcher, the
 * race sampler): started with the real pthread_create, detached, with every
 * signal blocked (the program's signals are the program's), and never
 * recorded as threads of the program (cw_tls_untracked).
 *
 * They must never keep the program alive.  glibc counts every thread made
 * by pthread_create, ours too, and ends the process (exit(0)) only when the
 * last one it counts ends: when main calls pthread_exit and its worker then
 * returns, or when the only thread of a child forked from a worker returns,
 * the program has no thread left but ours, and glibc just ends that thread.
 * So the helpers end the process in glibc's place: when every task of the
 * process other than the helpers is gone or a zombie (a main thread that
 * called pthread_exit stays listed as one), one helper calls exit(0), as
 * glibc would have (atexit handlers and destructors run, status 0).
 * Threads the shim never saw count as the program's (they are tasks of the
 * process); so does a raw clone() thread, which glibc does not count (a
 * process that has one outlives its last glibc thread until it ends).  The
 * one exception is the ThreadSanitizer runtime's background thread, which
 * never ends by itself.
 */
#ifndef CW_HELPER_THREAD_H
#define CW_HELPER_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int (*cw_thread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

typedef struct cw_helper_thread {
    const char *name;          /* for debugging: shown in /proc/<pid>/task/<tid>/comm */
    void (*run)(void);
    size_t stack_size;
} cw_helper_thread;

/* Starts h->run on a new helper thread; false if it could not be created.
 * `create` is the real pthread_create (the interposed one would record it). */
bool cw_helper_thread_start(cw_thread_create_fn create, const cw_helper_thread *h);

/* True on one of the helper threads. */
bool cw_is_helper_thread(void);

/* For a helper's periodic wait: sleeps up to `ns`, or less when a thread of
 * the program said it was ending (cw_helper_thread_program_thread_ends);
 * then, if no thread of the program is left, ends the process as glibc would
 * (exit(0)) and does not return. */
void cw_helper_wait(uint64_t ns);

/* Called by a thread of the program that is about to end and may be its
 * last: the helpers look at once instead of at their next poll. */
void cw_helper_thread_program_thread_ends(void);

/* Fork child: none of the helpers came along. */
void cw_helper_threads_after_fork_child(void);

#endif

/*
 * How a watched word traps: the two backends behind the sampler's one policy.
 *
 *   hardware watchpoints (backend_hw.c): a perf_event breakpoint per thread
 *     and word (watchpoints.h), the access trapping right after it (SIGTRAP);
 *     four words at once (x86's four debug registers).
 *     Only where the host's debug registers work: proved at start by a probe
 *     write (hwbp_selftest.h); virtual machines often grant breakpoints that
 *     never fire.
 *   software watchpoints (backend_sw.c): the page holding the word is
 *     protected; every access to the page faults (SIGSEGV) before it
 *     happens, and the handler performs the access itself (emulation through
 *     /proc/self/mem, insn_decode.h) so the page never opens.  System calls
 *     that would touch a protected page are caught first (syscall_guard.h).
 *     Works on any x86-64 Linux with Syscall User Dispatch (5.11+).
 *
 * Both report each access through cw_on_access (watch_slot.h), in the
 * accessing thread.  Position operations (one position per thread and word)
 * return 0 or -errno; the software backend keeps per-position state only
 * (its protection is per page), so its operations decide which threads'
 * faults are reported rather than which fault at all.
 */
#ifndef CW_WATCH_BACKEND_H
#define CW_WATCH_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "watch_slot.h"

typedef struct cw_watch_backend {
    const char *name;            /* as the report header says it */
    bool per_thread;             /* watchpoints are per thread (opened on each) */
    unsigned max_slots;          /* words it can watch at once (cw_nslots) */
    bool counts_switches;        /* a watched thread pays at each context switch */
    /* Installs what the backend needs (handlers); false with a reason. */
    bool (*start)(char *why, size_t len);
    /* The backend's handler is still the one installed (the program may
     * have replaced it). */
    bool (*still_installed)(void);
    int (*pos_open)(cw_watch *w, unsigned slot, int pos, pid_t tid);
    void (*pos_close)(cw_watch *w, int pos);
    int (*pos_enable)(cw_watch *w, int pos);
    int (*pos_disable)(cw_watch *w, int pos);
    int (*pos_set_type)(cw_watch *w, unsigned slot, int pos, cw_wp_type type);
    /* The slot moved to another word (positions disabled): follow it. */
    int (*pos_retarget)(cw_watch *w, unsigned slot, int pos);
    /* Traps counted by the kernel for this position (hardware); false when
     * unknown. */
    bool (*pos_counts)(cw_watch *w, int pos, uint64_t *accesses);
    /* The word goes under watch / out of it as a whole (software: the page's
     * protection; hardware: nothing, positions do it). */
    void (*word_arm)(cw_watch *w);
    void (*word_disarm)(cw_watch *w);
    /* A thread joined the slot (cw_slots_join_self, in that thread): a word
     * left unwatched for the rest of the tick because it is hot is watched
     * again, so that the new thread's first access is seen (software);
     * NULL when nothing is needed. */
    void (*word_joined)(cw_watch *w);
    /* Costs charged to the sampling budget per reported trap and per
     * silent one (software: a fault of a thread not watched this tick). */
    uint64_t (*trap_cost_ns)(void);
    /* fork(), in the child. */
    void (*after_fork_child)(void);
    /* A new thread of the program, before it runs its start routine; NULL
     * when nothing is needed. */
    void (*thread_started)(void);
} cw_watch_backend;

extern const cw_watch_backend cw_backend_hw;
extern const cw_watch_backend cw_backend_sw;

/* The backend in use (race_method.h chooses it), NULL when races are off. */
extern const cw_watch_backend *cw_backend;

#endif

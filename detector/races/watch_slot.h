/*
 * A watch slot: one watched cell ("word") of a candidate variable, watched on
 * every thread the shim knows, by one backend (watch_backend.h).  Shared by
 * the files of the race sampler (race_sampler.h says what it does as a whole).
 *
 * Vocabulary.  A slot has one *position* per watched thread (its own
 * watchpoint with the hardware backend; a bookkeeping entry with the
 * software one, whose page protection is process-wide).  A slot's *round*
 * ends with one pause (or none); the sampler thread concludes it at its next
 * *tick* or at once when a paused thread has evidence.
 *
 * States of a slot (w->state) and who moves it:
 *
 *   IDLE --setup (sampler: word chosen, positions opened)--> ARMED
 *   ARMED --a write trap whose policy pauses (accessing thread, CAS of
 *           stall_pos)--> STALLING
 *   STALLING --pause over (the paused thread, in its handler)--> DONE
 *   DONE --service (sampler: round concluded, evidence judged)--> ARMED
 *   ARMED|DONE --park (sampler: the word's turn is over; events kept,
 *           disabled)--> IDLE, parked
 *   ARMED|DONE --quiet (sampler: over budget while every word has a slot;
 *           positions disabled, word and history kept)--> the same state;
 *           --wake (sampler: back within budget, or a thread's first access
 *           awaited)--> every position enabled again
 *   any --teardown (sampler: events closed, slot free)--> IDLE, gen 0
 *
 * Besides the pause, every trap of a round is recorded in the slot's access
 * history (access_history.h), where a pair of accesses of two threads that
 * no synchronisation orders is a race whatever the timing.
 *
 * Handlers find their slot by the cookie of the event (hardware) or by the
 * faulting address (software); `gen` changes whenever a slot is rebuilt, so a
 * late handler of an older generation does nothing.  `inflight` counts the
 * handlers inside a slot: the sampler waits for 0 before it moves the slot
 * to another word.
 */
#ifndef CW_WATCH_SLOT_H
#define CW_WATCH_SLOT_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "happens_before.h"
#include "race_candidates.h"
#include "watchpoints.h"
#include "common/clock.h"
#include "common/shim_flags.h"
#include "events/thread_state.h"
#include "stacks/stack_depot.h"

#define CW_MAX_SLOTS 32             /* words watched at once, at most (cw_nslots: the backend's own limit) */
#define CW_MAX_POS 64               /* threads per slot, counting ended ones until the slot is rebuilt */
#define CW_MAX_LIVE 32              /* threads watched at once */
#define CW_MAX_HELD_COPY 8
#define CW_WATCH_MAGIC 0xC3A5ull

enum { CW_SLOT_IDLE, CW_SLOT_ARMED, CW_SLOT_STALLING, CW_SLOT_DONE };
enum { CW_STALL_NEVER, CW_STALL_NEW_WRITER, CW_STALL_ANY };

typedef struct cw_held_copy {
    uintptr_t addr;
    cw_stack_id stack;
    uint8_t kind, read;
} cw_held_copy;

/* One access as the trapping thread saw it. */
typedef struct cw_race_access {
    uint32_t thread;                 /* T number */
    bool write;
    cw_hb_epoch epoch;               /* the thread's place in the happens-before order; 0: unknown */
    uint64_t at_ns;                  /* when (monotonic) */
    bool pc_exact;                   /* pcs[0] is the access itself (software), not the instruction after it */
    int npcs;
    uintptr_t pcs[CW_MAX_FRAMES];
    int nheld;
    cw_held_copy held[CW_MAX_HELD_COPY];
} cw_race_access;

/* What each position's thread last did to the word in this period, for the
 * order judgement: written only by that thread (in its handler), read by the
 * others under the sequence count (odd while being written). */
typedef struct cw_pos_history {
    _Atomic uint32_t seq;
    uint32_t period;                 /* cw_watch.hperiod when recorded; other values are stale */
    bool has_write, has_read;
    cw_race_access write, read;
} cw_pos_history;

typedef struct cw_watch {
    _Atomic uint32_t gen;              /* cookie generation; 0 = slot free (no events) */
    _Atomic int parked;                /* no word, events kept (disabled) for the next one */
    _Atomic int state;
    _Atomic int inflight;              /* handlers inside this slot */
    size_t var;
    uint64_t word;
    bool assigned;                     /* counted in cw_vstate[var].nassigned */
    uintptr_t addr;
    unsigned len;
    uint64_t since_ns;                 /* when the word got this slot */
    /* One position per watched thread. */
    _Atomic int npos;
    pid_t tid[CW_MAX_POS];
    uint32_t index[CW_MAX_POS];
    cw_thread *thr[CW_MAX_POS];
    int fd[CW_MAX_POS];                /* hardware: the watchpoint; software: 0 when open */
    uint64_t id[CW_MAX_POS];
    _Atomic uint8_t type[CW_MAX_POS];  /* the access watchpoint's cw_wp_type now */
    _Atomic uint8_t armed[CW_MAX_POS]; /* enabled; a handler clears it when it disables its own */
    _Atomic uint8_t deaf[CW_MAX_POS];  /* SIGTRAP blocked there: not watched */
    _Atomic uint32_t handled[CW_MAX_POS];
    uint64_t last_read_ns[CW_MAX_POS]; /* this thread's last trap that did not pause */
    _Atomic uint8_t deciding[CW_MAX_POS]; /* a write trapped, its handler has not decided to pause or not */
    _Atomic uint8_t busy[CW_MAX_POS];  /* this thread is in the handler for this slot */
    /* No access of this thread is recorded in this history period yet:
     * since when, and its CPU time then (0: the sampler measures it). */
    _Atomic uint8_t unseen[CW_MAX_POS];
    uint64_t unseen_since_ns[CW_MAX_POS], unseen_run0[CW_MAX_POS];
    atomic_flag pos_lock;              /* adding positions: the sampler, or a paused thread */
    /* Policy of this round, set by the sampler. */
    _Atomic int stall_level;
    _Atomic uint64_t known_writers;    /* thread indices mod 64 */
    /* Evidence of the pause. */
    _Atomic int stall_pos;             /* who pauses, -1 nobody yet */
    cw_race_access first;
    _Atomic int second_claimed, second_ready;
    cw_race_access second;
    _Atomic uint64_t probe_writers;    /* writes seen without a pause */
    _Atomic int saw_runtime, saw_atomic;
    _Atomic uint64_t stall_ns;
    _Atomic int verdict_pending;       /* the paused thread waits for the sampler's conclusion */
    /* Evidence by order: a pair no synchronisation orders (access_history.h). */
    uint32_t hperiod;                  /* history period; bumped when the history restarts */
    cw_pos_history hist[CW_MAX_POS];
    _Atomic int order_claimed, order_ready;
    cw_race_access order_a, order_b;   /* the earlier access, then the later one */
    /* Software backend: the protected page and its state. */
    uintptr_t page;
    uintptr_t page_ok;                 /* the page that passed the checks of sw_pages.h */
    _Atomic int protected_now;         /* the page is protected (faults) */
    _Atomic uint32_t silent_faults;    /* faults of positions not armed, this tick */
    _Atomic int hold_open;             /* a runnable thread is unseen: the watch stays fully on (watch_slots.c) */
    _Atomic int sw_dropped;            /* an access could not be emulated, or a system call needs the page */
    atomic_flag prot_lock;             /* changes of the page's protection */
    char why[512];                     /* CONCWATCH_RACE_DEBUG: how the pause went */
} cw_watch;

/* What the sampler learnt about a variable. */
typedef struct cw_var_state {
    uint64_t writers;
    uint64_t bad_words;                /* words < 64 written by the C library, or atomically */
    uint64_t cursor;
    uint32_t stalls;                   /* pauses that saw nobody else */
    uint32_t turns;
    uint64_t last_turn_ns, last_stall_ns;
    uint32_t nassigned;                /* slots holding one of its words now */
    bool retired, written;
    /* An object a thread was started with, or a heap block a pointer leads
     * to: who passed it, and where. */
    uint8_t origin;                    /* cw_var_origin */
    uint32_t passed_by;
    cw_stack_id passed_stack;
    size_t via;                        /* CW_ORIGIN_POINTEE: the variable holding the pointer */
} cw_var_state;

enum cw_var_origin { CW_ORIGIN_GLOBAL, CW_ORIGIN_ARG, CW_ORIGIN_POINTEE };

/* ---- the sampler's shared state (race_sampler.c) ---- */
extern cw_watch cw_watches[CW_MAX_SLOTS];
/* Slots of the backend in use (watch_backend.h: 4 with debug registers, one
 * per word; CW_MAX_SLOTS with page protection); 0 before one is chosen. */
extern unsigned cw_nslots;
extern cw_race_vars cw_vars;
extern cw_var_state *cw_vstate;
extern size_t cw_nactive;              /* variables not retired */
extern atomic_int cw_sampler_stopping;
extern atomic_int cw_sampler_suspended;  /* over budget: every watchpoint off for a while */
extern atomic_ullong cw_ntraps;
extern bool cw_race_debug;
extern int cw_max_pos;
extern uint64_t cw_sampler_started_ns;

void cw_race_debugf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wakes the sampler thread (a paused thread has evidence, a thread started). */
void cw_sampler_wake(void);

static inline uint64_t cw_watch_cookie(uint32_t gen, unsigned slot, unsigned pos)
{
    return CW_WATCH_MAGIC << 48 | (uint64_t)(gen & 0xffffff) << 24 | (uint64_t)slot << 8 | pos;
}

/* ---- positions and slots (watch_slots.c; the sampler thread) ---- */
bool cw_pos_alive(const cw_watch *w, int i);
bool cw_has_pos(const cw_watch *w, pid_t tid, const cw_thread *t);
/* Watches the slot's word on one more thread (disabled; the caller enables). */
bool cw_add_pos(cw_watch *w, unsigned slot, cw_thread *t, pid_t tid, uint32_t index, bool in_handler);
bool cw_set_type(cw_watch *w, unsigned slot, int i, cw_wp_type type);
void cw_wait_idle(cw_watch *w);
/* The transitions of the header's state diagram, on the sampler's side. */
void cw_slot_setup(cw_watch *w, unsigned slot, size_t v, uint64_t word, cw_thread *const *threads,
                   const pid_t *tids, const uint32_t *indices, int nthreads, uint64_t now);
void cw_slot_service(cw_watch *w, unsigned slot, cw_thread *const *threads, const pid_t *tids,
                     const uint32_t *indices, int nthreads, uint64_t now);
void cw_slot_park(cw_watch *w);
void cw_slot_teardown(cw_watch *w);
/* A new tick of the sampler (before the slots are serviced). */
void cw_slots_tick(void);
/* Some slot awaits the first access of a runnable thread (watch_slots.c):
 * the watch stays fully on meanwhile. */
bool cw_slots_awaiting_first_access(void);
/* Over budget: nothing of the slot traps until the sampler arms it again;
 * the word keeps the slot and its history. */
void cw_slot_quiet(cw_watch *w);
/* The end of a quiet spell (sampler, cw_sampler_suspended already 0): every
 * position of a slot in use is enabled again, now rather than at the next
 * service. */
void cw_slot_wake(cw_watch *w);
/* The calling thread t, new, before it runs the program's code: it watches
 * every slot's word from its first instruction on (with debug registers it
 * opens its own watchpoints: the quick way, and no access of it is missed
 * while the sampler thread waits for a CPU). */
void cw_slots_join_self(cw_thread *t);

/* ---- the accessing thread (access_trap.c) ---- */
typedef struct cw_access_info {
    int write;          /* 1, 0, or -1 when the backend cannot tell (the instruction says: access_insn.h) */
    int atomic;         /* 1, 0, or -1 when the backend cannot tell (the instruction is decoded) */
    bool late;          /* the signal came after the thread moved on */
    uintptr_t pc;       /* the access (software) or the instruction after it (hardware) */
    bool pc_exact;
} cw_access_info;

/* An access to the slot's word by position pos, in the accessing thread. */
void cw_on_access(cw_watch *w, unsigned slot, unsigned pos, const cw_access_info *info);
void cw_fill_access(cw_race_access *a, uint32_t thread, bool write, uintptr_t pc, bool pc_exact);

/* ---- the pause (pause_wait.c) ---- */
/* Holds the calling thread (which just wrote the word) while the others'
 * accesses are watched; returns when the other side came, the pause is
 * over, or every other thread is stuck behind this one. */
void cw_pause_for_others(cw_watch *w, unsigned pos, uint64_t t0);
/* The other side has come and records its stack: wait until it is done. */
void cw_wait_for_second(cw_watch *w);
/* Another watched thread's write trapped and its handler has not decided yet. */
bool cw_write_pending_elsewhere(cw_watch *w, unsigned pos);

#endif

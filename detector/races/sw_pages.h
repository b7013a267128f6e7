/*
 * The pages under software watch: the page that holds each watched word
 * (watch_slot.h, at most one per slot), protected PROT_NONE so that every
 * access faults (backend_sw.c).  Given back (its old protection, read and
 * write) when the word's turn ends, when a system call would touch it
 * (syscall_guard.h), when an access cannot be emulated, or at fork.
 *
 * Never protected: a page that is not private read-write memory (files
 * shared, stacks, the vDSO), that lies on a thread's stack, that the shim
 * itself lives in, or that a system call in progress may touch
 * (cw_sud_pending_overlaps).  Changes are made under one spin lock, with system calls
 * the dispatch lets through; lookups are lock-free.  Async-signal-safe
 * except cw_sw_page_protect (the sampler thread).
 */
#ifndef CW_SW_PAGES_H
#define CW_SW_PAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "watch_slot.h"

/* Sampler: protects the page of w's word; false when it must not be. */
bool cw_sw_page_protect(cw_watch *w);
/* Gives w's page back (unless another slot still protects it). */
void cw_sw_page_release(cw_watch *w);
/* Any page protected now. */
bool cw_sw_pages_any(void);
/* The same, with cw_sw_pages_lock held. */
void cw_sw_pages_release_range_locked(uintptr_t lo, uintptr_t hi);
/* Gives back every protected page that [lo, hi) overlaps; their watches end. */
void cw_sw_pages_release_range(uintptr_t lo, uintptr_t hi);
void cw_sw_pages_release_all(void);
/* addr's page was protected by us lately (a fault there may have raced
 * with its release). */
bool cw_sw_page_was_ours(uintptr_t addr);
/* The slot whose protected page holds addr, or -1. */
int cw_sw_page_slot(uintptr_t addr);
/* Held while an access to a protected page is performed (backend_sw.c):
 * every such access, and every change of protection, one at a time.  Only
 * from the fault and system-call handlers (asynchronous signals blocked
 * there; the other functions here block them while they hold it), and
 * never taken again nor touching the program's memory while held: a fault
 * or a system call there comes back for it (a spin lock: a hang). */
void cw_sw_pages_lock(void);
void cw_sw_pages_unlock(void);
/* fork(), in the child: the parent's protections are given back. */
void cw_sw_pages_after_fork_child(void);

#endif

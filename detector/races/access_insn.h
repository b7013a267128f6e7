/*
 * What kind of instruction made a memory access that a watchpoint trapped.
 *
 * A watchpoint traps after the instruction, with the program counter on the
 * next one, and x86 instructions have no fixed length: the instruction is
 * found by trying each start in the 15 bytes before the trap and keeping the
 * decodings that end exactly there.  Only one question is asked: was the
 * access atomic?  Atomic read-modify-writes (a LOCK prefix, or XCHG with
 * memory, which locks implicitly) and sequentially consistent stores (gcc
 * emits a store then MFENCE) are synchronisation, not data races.  Atomic
 * loads and release/relaxed stores compile to plain MOVs and cannot be told
 * apart here (the sampler asks the variable's debug-info type for those,
 * and drops a variable that some code accesses atomically: see
 * cw_insn_scan_atomic_targets).
 */
#ifndef CW_ACCESS_INSN_H
#define CW_ACCESS_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* `next_pc` is where the trap left the thread; [lo, hi) is the executable
 * segment that holds it (no byte outside it is read).  Async-signal-safe. */
bool cw_access_was_atomic(uintptr_t next_pc, uintptr_t lo, uintptr_t hi);

/* The addresses that code accesses atomically (an atomic read-modify-write,
 * or a store then MFENCE) with a RIP-relative or absolute operand: a global
 * variable used as a lock or an atomic.  `code` holds `len` bytes of machine
 * code that runs at address ip0; fn gets each target address (same address
 * space as ip0) and the access size.  A byte sequence that only looks like
 * such an instruction (inside another one) may add a stray target. */
void cw_insn_scan_atomic_targets(const uint8_t *code, size_t len, uint64_t ip0,
                                 void (*fn)(uint64_t target, unsigned size, void *arg), void *arg);

#endif

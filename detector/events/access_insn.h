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
 * apart here (the sampler asks the variable's debug-info type for those).
 */
#ifndef CW_ACCESS_INSN_H
#define CW_ACCESS_INSN_H

#include <stdbool.h>
#include <stdint.h>

/* `next_pc` is where the trap left the thread; [lo, hi) is the executable
 * segment that holds it (no byte outside it is read).  Async-signal-safe. */
bool cw_access_was_atomic(uintptr_t next_pc, uintptr_t lo, uintptr_t hi);

#endif

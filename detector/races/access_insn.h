/*
 * What kind of instruction made a memory access, found by decoding forward
 * (insn_decode.h, Zydis) from a known instruction start — never by guessing
 * backwards: x86 instructions have no fixed length, and the bytes before an
 * instruction can end in something that also decodes as one (the last
 * bytes of `movl $0x871234,(%rax)` read as `xchg %eax,(%rax)`; an
 * immediate F0 reads as a LOCK prefix).
 *
 * A hardware watchpoint traps after the access, with the program counter on
 * the next instruction: the access is the instruction of its function (the
 * unwind tables give every function's start: cw_function_start) that ends
 * exactly there.  Atomic read-modify-writes (a LOCK prefix, or XCHG with
 * memory, which locks implicitly) and sequentially consistent stores (gcc
 * emits a MOV store then MFENCE) are synchronisation, not data races.
 * Atomic loads and release/relaxed stores compile to plain MOVs and cannot
 * be told apart (the sampler asks the variable's debug-info type for those,
 * and drops a variable that some code accesses atomically: see
 * cw_insn_scan_atomic_targets).
 *
 * Needs the decoder (cw_insn_load, insn_decode.h); without it nothing is
 * known.  Async-signal-safe where it says so: the decoder does not
 * allocate, and the unwind tables are read through libgcc's
 * _Unwind_Find_FDE (glibc's _dl_find_object: no lock).
 */
#ifndef CW_ACCESS_INSN_H
#define CW_ACCESS_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cw_access_kind {
    bool known;     /* an instruction with a memory operand ends exactly at next_pc */
    bool atomic;    /* LOCK, XCHG with memory, or a MOV store followed by MFENCE */
    bool writes;    /* it writes its memory operand */
} cw_access_kind;

/* The instruction that ends exactly at next_pc, decoding forward from
 * `start` (an instruction start at or before it; start < next_pc <= hi).
 * No byte outside [start, hi) is read (the MFENCE after a store is looked
 * for only if it fits).  False (out->known false) when the decoding from
 * start does not land on next_pc.  Async-signal-safe. */
bool cw_access_insn_from(uintptr_t start, uintptr_t next_pc, uintptr_t hi, cw_access_kind *out);

/* The same for a watchpoint trap that left the thread at next_pc inside the
 * executable segment [lo, hi) (next_pc == hi included: the access is then
 * the segment's last instruction): the start is that of the function
 * holding next_pc - 1 (unwind tables), answers cached per next_pc.
 * Async-signal-safe. */
bool cw_access_insn(uintptr_t next_pc, uintptr_t lo, uintptr_t hi, cw_access_kind *out);

/* The addresses that code accesses atomically (an atomic read-modify-write,
 * or a MOV store then MFENCE) with a RIP-relative or absolute operand (not
 * %fs/%gs-relative: those are thread-local): a global variable used as a
 * lock or an atomic.  `code` holds `len` bytes of machine code that runs at
 * address ip0; starts[0..nstarts) are known instruction starts (function
 * starts: symbols, unwind tables), in any order, outside [ip0, ip0+len)
 * ignored; the decoding begins at ip0 and again at each start.  fn gets
 * each target address (ip0's address space) and the access size, once per
 * instruction.  *any_atomic (if not NULL) is set when any atomic
 * instruction was seen, whatever its operand.  False without the decoder. */
bool cw_insn_scan_atomic_targets(const uint8_t *code, size_t len, uint64_t ip0, const uint64_t *starts,
                                 size_t nstarts, void (*fn)(uint64_t target, unsigned size, void *arg), void *arg,
                                 bool *any_atomic);

#endif

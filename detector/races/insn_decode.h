/*
 * x86-64 instructions that access memory, decoded forward from a known
 * start with Zydis (Debian's libzydis, opened privately with dlopen like
 * libunwind and libdw: none of its symbols enter the program's scope).
 * Zydis decodes without allocating or locking: everything here is
 * async-signal-safe once cw_insn_load() has run.
 *
 * What the software watchpoints need (backend_sw.c): at a fault, the
 * instruction at the faulting pc, its memory operand's effective address
 * (from the interrupted registers, %fs/%gs bases included) and size, whether
 * it reads or writes it, whether it is atomic (LOCK, or XCHG with memory);
 * and then to perform it: cw_insn_emulate does the moves (MOV, MOVZX,
 * MOVSX, MOVSXD, immediate stores) and the integer arithmetic with a memory
 * operand (ADD OR ADC SBB AND SUB XOR CMP TEST INC DEC NEG NOT, flags
 * computed by the CPU itself) through the caller's memory accessors and
 * the context's registers.  Anything else is left to the caller.
 */
#ifndef CW_INSN_DECODE_H
#define CW_INSN_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#define CW_INSN_PRIV 2048

typedef struct cw_insn {
    unsigned len;
    bool atomic;               /* LOCK prefix, or XCHG with a memory operand */
    bool has_mem;              /* one memory operand (explicit) */
    bool reads, writes;        /* what it does to it */
    bool segment_fs_gs;
    bool fixed_address;        /* the operand's address is fixed (RIP-relative or absolute, no %fs/%gs): a global */
    uint64_t fixed_ea;         /* then: that address, in ip's address space */
    bool mfence;               /* MFENCE (after a MOV store: a sequentially consistent store) */
    uintptr_t ea;              /* its effective address in the context */
    unsigned size;             /* bytes */
    bool emulable;             /* cw_insn_emulate knows it */
    _Alignas(16) unsigned char priv[CW_INSN_PRIV];
} cw_insn;

/* Loads Zydis (not in a signal handler); false if it is not installed. */
bool cw_insn_load(void);
bool cw_insn_loaded(void);

/* Decodes the instruction in code[0..avail) that runs at ip; with uc, the
 * effective address is computed from its registers (else ea is 0).  False
 * when it does not decode. */
bool cw_insn_decode(const uint8_t *code, size_t avail, uint64_t ip, const ucontext_t *uc, cw_insn *out);

typedef struct cw_mem_io {
    bool (*read)(uintptr_t addr, void *buf, size_t n, void *ctx);
    bool (*write)(uintptr_t addr, const void *buf, size_t n, void *ctx);
    void *ctx;
} cw_mem_io;

/* Performs a decoded emulable instruction on uc (registers, flags, rip)
 * and memory (through io).  False, with nothing changed, if it cannot. */
bool cw_insn_emulate(const cw_insn *in, ucontext_t *uc, const cw_mem_io *io);

#endif

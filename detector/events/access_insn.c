#include "access_insn.h"

#include <stddef.h>

/* Length of the instruction at p if it is an atomic read-modify-write of
 * memory (LOCK-prefixed, or XCHG r/m which is locked without a prefix),
 * else 0.  Decodes only the instructions that accept LOCK. */
static size_t atomic_rmw_length(const uint8_t *p, const uint8_t *end)
{
    const uint8_t *q = p;
    bool lock = false, opsize = false;
    for (int i = 0; i < 4 && q < end; i++, q++) {
        uint8_t b = *q;
        if (b == 0xF0)
            lock = true;
        else if (b == 0x66)
            opsize = true;
        else if (!(b == 0xF2 || b == 0xF3 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x26 ||
                   b == 0x64 || b == 0x65 || b == 0x67))
            break;
    }
    if (q < end && (*q & 0xF0) == 0x40)
        q++;   /* REX */
    if (q >= end)
        return 0;
    uint8_t op = *q++;
    size_t imm = 0;
    int need_reg = -1;        /* ModRM.reg a group opcode needs (-1: any) */
    int reg_lo = 0, reg_hi = 7;
    bool xchg = false;
    if (op == 0x0F) {
        if (q >= end)
            return 0;
        uint8_t op2 = *q++;
        switch (op2) {
        case 0xB0: case 0xB1:          /* cmpxchg */
        case 0xC0: case 0xC1:          /* xadd */
        case 0xAB: case 0xB3: case 0xBB: /* bts, btr, btc r/m, r */
            break;
        case 0xC7:                     /* cmpxchg8b/16b */
            need_reg = 1;
            break;
        case 0xBA:                     /* bts/btr/btc r/m, imm8 */
            reg_lo = 5;
            imm = 1;
            break;
        default:
            return 0;
        }
    } else if (op < 0x40 && (op & 7) <= 1 && (op >> 3) != 7) {
        /* add/or/adc/sbb/and/sub/xor r/m, r (not cmp) */
    } else if (op == 0x80 || op == 0x83) {
        reg_hi = 6;
        imm = 1;
    } else if (op == 0x81) {
        reg_hi = 6;
        imm = opsize ? 2 : 4;
    } else if (op == 0xF6 || op == 0xF7) {
        reg_lo = 2;                    /* not, neg */
        reg_hi = 3;
    } else if (op == 0xFE || op == 0xFF) {
        reg_hi = 1;                    /* inc, dec */
    } else if (op == 0x86 || op == 0x87) {
        xchg = true;
    } else {
        return 0;
    }
    if (!lock && !xchg)
        return 0;
    if (q >= end)
        return 0;
    uint8_t modrm = *q++;
    int mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
    if (mod == 3)
        return 0;                      /* a register operand: no memory access */
    if ((need_reg >= 0 && reg != need_reg) || reg < reg_lo || reg > reg_hi)
        return 0;
    size_t disp = 0;
    if (rm == 4) {
        if (q >= end)
            return 0;
        uint8_t sib = *q++;
        if (mod == 0 && (sib & 7) == 5)
            disp = 4;
    }
    if (mod == 0 && rm == 5)
        disp = 4;                      /* RIP-relative */
    else if (mod == 1)
        disp = 1;
    else if (mod == 2)
        disp = 4;
    return (size_t)(q - p) + disp + imm;
}

bool cw_access_was_atomic(uintptr_t next_pc, uintptr_t lo, uintptr_t hi)
{
#if defined(__x86_64__) || defined(__i386__)
    if (next_pc < lo || next_pc >= hi)
        return false;
    const uint8_t *next = (const uint8_t *)next_pc;
    /* A sequentially consistent store: gcc emits MOV then MFENCE (0F AE F0). */
    if (next_pc + 3 <= hi && next[0] == 0x0F && next[1] == 0xAE && next[2] == 0xF0)
        return true;
    for (size_t k = 2; k <= 15 && next_pc - k >= lo; k++)
        if (atomic_rmw_length(next - k, next) == k)
            return true;
    return false;
#else
    (void)next_pc; (void)lo; (void)hi;
    return false;
#endif
}

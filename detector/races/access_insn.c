#include "access_insn.h"

#include <stddef.h>

/* What the decoder learnt about one instruction. */
typedef struct insn {
    size_t len;
    unsigned size;        /* memory operand size in bytes */
    bool rip_relative;    /* memory operand at next_ip + disp32 */
    bool absolute;        /* memory operand at disp32 (SIB, no base, no index) */
    int32_t disp;
} insn;

/* Decodes from `p` the ModRM addressing part (p at the ModRM byte); adds to
 * *len; false for a register operand. */
static bool memory_operand(const uint8_t *p, const uint8_t *end, insn *in, size_t *len, int *reg)
{
    if (p >= end)
        return false;
    uint8_t modrm = *p++;
    int mod = modrm >> 6, rm = modrm & 7;
    *reg = (modrm >> 3) & 7;
    *len += 1;
    if (mod == 3)
        return false;   /* a register operand: no memory access */
    size_t disp = 0;
    if (rm == 4) {
        if (p >= end)
            return false;
        uint8_t sib = *p++;
        *len += 1;
        if (mod == 0 && (sib & 7) == 5) {
            disp = 4;
            in->absolute = ((sib >> 3) & 7) == 4;   /* no index either */
        }
    }
    if (mod == 0 && rm == 5) {
        disp = 4;
        in->rip_relative = true;
    } else if (mod == 1) {
        disp = 1;
    } else if (mod == 2) {
        disp = 4;
    }
    if (disp == 4) {
        if (p + 4 > end)
            return false;
        in->disp = (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
    }
    *len += disp;
    return true;
}

/* The instruction at p if it is an atomic read-modify-write of memory
 * (LOCK-prefixed, or XCHG r/m which is locked without a prefix); decodes
 * only the instructions that accept LOCK.  0 otherwise. */
static size_t decode_atomic_rmw(const uint8_t *p, const uint8_t *end, insn *in)
{
    const uint8_t *q = p;
    bool lock = false, opsize = false, rex_w = false;
    *in = (insn){ 0 };
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
        rex_w = (*q++ & 0x08) != 0;   /* REX */
    if (q >= end)
        return 0;
    uint8_t op = *q++;
    size_t imm = 0;
    int need_reg = -1, reg_lo = 0, reg_hi = 7;
    bool xchg = false, byte_op = false;
    if (op == 0x0F) {
        if (q >= end)
            return 0;
        uint8_t op2 = *q++;
        switch (op2) {
        case 0xB0: case 0xC0:          /* cmpxchg, xadd: byte */
            byte_op = true;
            break;
        case 0xB1: case 0xC1:          /* cmpxchg, xadd */
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
        byte_op = (op & 1) == 0;       /* add/or/adc/sbb/and/sub/xor r/m, r (not cmp) */
    } else if (op == 0x80 || op == 0x83) {
        byte_op = op == 0x80;
        reg_hi = 6;
        imm = 1;
    } else if (op == 0x81) {
        reg_hi = 6;
        imm = opsize ? 2 : 4;
    } else if (op == 0xF6 || op == 0xF7) {
        byte_op = op == 0xF6;
        reg_lo = 2;                    /* not, neg */
        reg_hi = 3;
    } else if (op == 0xFE || op == 0xFF) {
        byte_op = op == 0xFE;
        reg_hi = 1;                    /* inc, dec */
    } else if (op == 0x86 || op == 0x87) {
        byte_op = op == 0x86;
        xchg = true;
    } else {
        return 0;
    }
    if (!lock && !xchg)
        return 0;
    size_t len = (size_t)(q - p);
    int reg;
    if (!memory_operand(q, end, in, &len, &reg))
        return 0;
    if ((need_reg >= 0 && reg != need_reg) || reg < reg_lo || reg > reg_hi)
        return 0;
    in->len = len + imm;
    in->size = byte_op ? 1 : need_reg == 1 ? (rex_w ? 16 : 8) : rex_w ? 8 : opsize ? 2 : 4;
    return in->len;
}

/* The instruction at p if it is a MOV to memory (88, 89, C6 /0, C7 /0), as
 * gcc emits before MFENCE for a sequentially consistent store.  0 otherwise. */
static size_t decode_store(const uint8_t *p, const uint8_t *end, insn *in)
{
    const uint8_t *q = p;
    bool opsize = false, rex_w = false;
    *in = (insn){ 0 };
    if (q < end && *q == 0x66) {
        opsize = true;
        q++;
    }
    if (q < end && (*q & 0xF0) == 0x40)
        rex_w = (*q++ & 0x08) != 0;
    if (q >= end)
        return 0;
    uint8_t op = *q++;
    size_t imm = 0;
    if (op == 0xC6)
        imm = 1;
    else if (op == 0xC7)
        imm = opsize ? 2 : 4;
    else if (op != 0x88 && op != 0x89)
        return 0;
    size_t len = (size_t)(q - p);
    int reg;
    if (!memory_operand(q, end, in, &len, &reg) || ((op == 0xC6 || op == 0xC7) && reg != 0))
        return 0;
    in->len = len + imm;
    in->size = (op == 0x88 || op == 0xC6) ? 1 : rex_w ? 8 : opsize ? 2 : 4;
    return in->len;
}

static bool is_mfence(const uint8_t *p, const uint8_t *end)
{
    return p + 3 <= end && p[0] == 0x0F && p[1] == 0xAE && p[2] == 0xF0;
}

bool cw_access_was_atomic(uintptr_t next_pc, uintptr_t lo, uintptr_t hi)
{
#if defined(__x86_64__)
    if (next_pc < lo || next_pc >= hi)
        return false;
    const uint8_t *next = (const uint8_t *)next_pc;
    /* A sequentially consistent store: gcc emits MOV then MFENCE (0F AE F0). */
    if (is_mfence(next, (const uint8_t *)hi))
        return true;
    insn in;
    for (size_t k = 2; k <= 15 && next_pc - k >= lo; k++)
        if (decode_atomic_rmw(next - k, next, &in) == k)
            return true;
    return false;
#else
    (void)next_pc; (void)lo; (void)hi;
    return false;
#endif
}

static void report_target(const insn *in, uint64_t next_ip, void (*fn)(uint64_t, unsigned, void *), void *arg)
{
    if (in->rip_relative)
        fn(next_ip + (uint64_t)(int64_t)in->disp, in->size, arg);
    else if (in->absolute)
        fn((uint64_t)(int64_t)in->disp, in->size, arg);
}

void cw_insn_scan_atomic_targets(const uint8_t *code, size_t len, uint64_t ip0,
                                 void (*fn)(uint64_t target, unsigned size, void *arg), void *arg)
{
#if defined(__x86_64__)
    const uint8_t *end = code + len;
    insn in;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = code[i];
        if (b == 0xF0 || b == 0x86 || b == 0x87 || b == 0x66 || (b & 0xF0) == 0x40) {
            if (decode_atomic_rmw(code + i, end, &in))
                report_target(&in, ip0 + i + in.len, fn, arg);
        } else if (b == 0x0F && is_mfence(code + i, end)) {
            for (size_t k = 6; k <= 12 && k <= i; k++)
                if (decode_store(code + i - k, code + i, &in) == k)
                    report_target(&in, ip0 + i, fn, arg);
        }
    }
#else
    (void)code; (void)len; (void)ip0; (void)fn; (void)arg;
#endif
}

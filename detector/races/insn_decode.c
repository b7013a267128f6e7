#define _GNU_SOURCE
#include "insn_decode.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <string.h>

#include <Zydis/Zydis.h>

typedef struct priv {
    ZydisDecodedInstruction in;
    ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT];
    int mem;                   /* index of the memory operand */
} priv;

_Static_assert(sizeof(priv) <= CW_INSN_PRIV, "cw_insn.priv too small");

static struct {
    __typeof__(ZydisDecoderInit) *init;
    __typeof__(ZydisDecoderDecodeFull) *decode;
    ZydisDecoder decoder;
} zy;
static atomic_int loaded;

bool cw_insn_load(void)
{
    if (atomic_load(&loaded))
        return true;
    void *lib = dlopen("libZydis.so.4.0", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return false;
    zy.init = (__typeof__(zy.init))dlsym(lib, "ZydisDecoderInit");
    zy.decode = (__typeof__(zy.decode))dlsym(lib, "ZydisDecoderDecodeFull");
    if (!zy.init || !zy.decode ||
        !ZYAN_SUCCESS(zy.init(&zy.decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64))) {
        dlclose(lib);
        return false;
    }
    atomic_store(&loaded, 1);
    return true;
}

bool cw_insn_loaded(void) { return atomic_load(&loaded) != 0; }

/* ---- registers ---------------------------------------------------------- */

/* ucontext's index of a general register by its encoding number. */
static const int greg_of_id[16] = {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

typedef struct gpr {
    int greg;          /* -1: not a general register */
    unsigned width;    /* bytes */
    bool high8;        /* AH, CH, DH, BH */
} gpr;

static gpr gpr_of(ZydisRegister r)
{
    if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BL)
        return (gpr){ greg_of_id[r - ZYDIS_REGISTER_AL], 1, false };
    if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH)
        return (gpr){ greg_of_id[r - ZYDIS_REGISTER_AH], 1, true };
    if (r >= ZYDIS_REGISTER_SPL && r <= ZYDIS_REGISTER_R15B)
        return (gpr){ greg_of_id[r - ZYDIS_REGISTER_SPL + 4], 1, false };
    if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_R15W)
        return (gpr){ greg_of_id[r - ZYDIS_REGISTER_AX], 2, false };
    if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_R15D)
        return (gpr){ greg_of_id[r - ZYDIS_REGISTER_EAX], 4, false };
    if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15)
        return (gpr){ greg_of_id[r - ZYDIS_REGISTER_RAX], 8, false };
    return (gpr){ -1, 0, false };
}

static uint64_t mask_of(unsigned bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (bytes * 8)) - 1;
}

static bool reg_value(const ucontext_t *uc, ZydisRegister r, uint64_t *v)
{
    gpr g = gpr_of(r);
    if (g.greg < 0)
        return false;
    uint64_t full = (uint64_t)uc->uc_mcontext.gregs[g.greg];
    *v = g.high8 ? (full >> 8) & 0xff : full & mask_of(g.width);
    return true;
}

/* Writes v to register r as the CPU would: 32-bit writes zero the upper
 * half, 8- and 16-bit writes leave the other bits alone. */
static bool reg_store(ucontext_t *uc, ZydisRegister r, uint64_t v)
{
    gpr g = gpr_of(r);
    if (g.greg < 0)
        return false;
    uint64_t full = (uint64_t)uc->uc_mcontext.gregs[g.greg];
    if (g.width == 8)
        full = v;
    else if (g.width == 4)
        full = v & 0xffffffffull;
    else if (g.high8)
        full = (full & ~0xff00ull) | ((v & 0xff) << 8);
    else
        full = (full & ~mask_of(g.width)) | (v & mask_of(g.width));
    uc->uc_mcontext.gregs[g.greg] = (greg_t)full;
    return true;
}

static uint64_t fs_base(void)
{
    uint64_t b;
    __asm__("mov %%fs:0, %0" : "=r"(b));   /* glibc's TCB points to itself */
    return b;
}

/* ---- decoding ----------------------------------------------------------- */

static bool is_emulable(ZydisMnemonic m)
{
    switch (m) {
    case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_MOVSXD:
    case ZYDIS_MNEMONIC_ADD: case ZYDIS_MNEMONIC_OR: case ZYDIS_MNEMONIC_ADC: case ZYDIS_MNEMONIC_SBB:
    case ZYDIS_MNEMONIC_AND: case ZYDIS_MNEMONIC_SUB: case ZYDIS_MNEMONIC_XOR: case ZYDIS_MNEMONIC_CMP:
    case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_INC: case ZYDIS_MNEMONIC_DEC: case ZYDIS_MNEMONIC_NEG:
    case ZYDIS_MNEMONIC_NOT: case ZYDIS_MNEMONIC_XCHG: case ZYDIS_MNEMONIC_XADD: case ZYDIS_MNEMONIC_CMPXCHG:
    case ZYDIS_MNEMONIC_JMP: case ZYDIS_MNEMONIC_CALL:   /* through a pointer: a PLT's GOT slot shares .data's page */
        return true;
    default:
        return false;
    }
}

bool cw_insn_decode(const uint8_t *code, size_t avail, uint64_t ip, const ucontext_t *uc, cw_insn *out)
{
    if (!atomic_load_explicit(&loaded, memory_order_acquire))
        return false;
    priv *p = (priv *)out->priv;
    if (!ZYAN_SUCCESS(zy.decode(&zy.decoder, code, avail, &p->in, p->op)))
        return false;
    out->len = p->in.length;
    out->has_mem = false;
    out->reads = out->writes = false;
    out->segment_fs_gs = false;
    out->fixed_address = false;
    out->fixed_ea = 0;
    out->mfence = p->in.mnemonic == ZYDIS_MNEMONIC_MFENCE;
    out->ea = 0;
    out->size = 0;
    p->mem = -1;
    int nmem = 0;
    for (int i = 0; i < p->in.operand_count_visible; i++)
        if (p->op[i].type == ZYDIS_OPERAND_TYPE_MEMORY && p->op[i].mem.type == ZYDIS_MEMOP_TYPE_MEM) {
            p->mem = i;
            nmem++;
        }
    /* String instructions and the like have hidden memory operands: not ours. */
    for (int i = p->in.operand_count_visible; i < p->in.operand_count; i++)
        if (p->op[i].type == ZYDIS_OPERAND_TYPE_MEMORY)
            nmem += 2;
    bool xchg_mem = p->in.mnemonic == ZYDIS_MNEMONIC_XCHG && nmem == 1;
    out->atomic = (p->in.attributes & ZYDIS_ATTRIB_HAS_LOCK) != 0 || xchg_mem;
    if (nmem != 1) {
        out->emulable = false;
        return true;
    }
    const ZydisDecodedOperand *m = &p->op[p->mem];
    out->has_mem = true;
    out->size = m->size / 8;
    out->reads = (m->actions & ZYDIS_OPERAND_ACTION_MASK_READ) != 0;
    out->writes = (m->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0;
    out->segment_fs_gs = m->mem.segment == ZYDIS_REGISTER_FS || m->mem.segment == ZYDIS_REGISTER_GS;
    if (!out->segment_fs_gs && m->mem.index == ZYDIS_REGISTER_NONE) {
        if (m->mem.base == ZYDIS_REGISTER_RIP) {
            out->fixed_address = true;
            out->fixed_ea = ip + p->in.length + (uint64_t)m->mem.disp.value;
        } else if (m->mem.base == ZYDIS_REGISTER_NONE) {
            out->fixed_address = true;
            out->fixed_ea = (uint64_t)m->mem.disp.value;
            if (p->in.address_width == 32)
                out->fixed_ea &= 0xffffffffull;
        }
    }
    if (uc) {
        uint64_t ea = (uint64_t)m->mem.disp.value, v;
        if (m->mem.base == ZYDIS_REGISTER_RIP)
            ea += ip + p->in.length;
        else if (m->mem.base != ZYDIS_REGISTER_NONE) {
            if (!reg_value(uc, m->mem.base, &v))
                return false;
            ea += v;
        }
        if (m->mem.index != ZYDIS_REGISTER_NONE) {
            if (!reg_value(uc, m->mem.index, &v))
                return false;
            ea += v * m->mem.scale;
        }
        if (p->in.address_width == 32)
            ea &= 0xffffffffull;
        if (m->mem.segment == ZYDIS_REGISTER_FS)
            ea += fs_base();
        else if (m->mem.segment == ZYDIS_REGISTER_GS)
            return false;   /* user space has no %gs base worth emulating */
        out->ea = (uintptr_t)ea;
    }
    /* Atomic ones too: the caller makes every access to the page its own,
     * one at a time, so a read-modify-write it performs is atomic. */
    out->emulable = is_emulable(p->in.mnemonic) && out->size >= 1 && out->size <= 8 &&
                    (out->size & (out->size - 1)) == 0;
    return true;
}

/* ---- emulation ---------------------------------------------------------- */

#define ARITH_FLAGS 0x8d5ull   /* CF PF AF ZF SF OF */

/* The CPU computes the result and the flags: the operation runs here on
 * registers, with the program's flags loaded first (ADC/SBB read CF,
 * INC/DEC keep it).  rsp moves past the red zone before the pushes. */
#define OP2(name, insn)                                                                                  \
    static uint64_t name(unsigned size, uint64_t a, uint64_t b, uint64_t *fl)                            \
    {                                                                                                    \
        uint64_t f = (*fl & ARITH_FLAGS) | 2;                                                            \
        switch (size) {                                                                                  \
        case 1: { uint8_t x = (uint8_t)a, y = (uint8_t)b;                                                \
            __asm__ volatile("sub $128,%%rsp\n\tpush %[f]\n\tpopfq\n\t" insn "b %[y],%[x]\n\tpushfq\n\tpop %[f]\n\tadd $128,%%rsp" \
                             : [x] "+q"(x), [f] "+r"(f) : [y] "q"(y) : "cc", "memory"); a = x; break; } \
        case 2: { uint16_t x = (uint16_t)a, y = (uint16_t)b;                                             \
            __asm__ volatile("sub $128,%%rsp\n\tpush %[f]\n\tpopfq\n\t" insn "w %[y],%[x]\n\tpushfq\n\tpop %[f]\n\tadd $128,%%rsp" \
                             : [x] "+r"(x), [f] "+r"(f) : [y] "r"(y) : "cc", "memory"); a = x; break; } \
        case 4: { uint32_t x = (uint32_t)a, y = (uint32_t)b;                                             \
            __asm__ volatile("sub $128,%%rsp\n\tpush %[f]\n\tpopfq\n\t" insn "l %[y],%[x]\n\tpushfq\n\tpop %[f]\n\tadd $128,%%rsp" \
                             : [x] "+r"(x), [f] "+r"(f) : [y] "r"(y) : "cc", "memory"); a = x; break; } \
        default: { uint64_t x = a, y = b;                                                                \
            __asm__ volatile("sub $128,%%rsp\n\tpush %[f]\n\tpopfq\n\t" insn "q %[y],%[x]\n\tpushfq\n\tpop %[f]\n\tadd $128,%%rsp" \
                             : [x] "+r"(x), [f] "+r"(f) : [y] "r"(y) : "cc", "memory"); a = x; break; } \
        }                                                                                                \
        *fl = (*fl & ~ARITH_FLAGS) | (f & ARITH_FLAGS);                                                  \
        return a;                                                                                        \
    }

#define OP1(name, insn)                                                                                  \
    static uint64_t name(unsigned size, uint64_t a, uint64_t *fl)                                        \
    {                                                                                                    \
        uint64_t f = (*fl & ARITH_FLAGS) | 2;                                                            \
        switch (size) {                                                                                  \
        case 1: { uint8_t x = (uint8_t)a;                                                                \
            __asm__ volatile("sub $128,%%rsp\n\tpush %[f]\n\tpopfq\n\t" insn "b %[x]\n\tpushfq\n\tpop %[f]\n\tadd $128,%%rsp" \
                             : [x] "+q"(x), [f] "+r"(f) : : "cc", "memory"); a = x; break; }         \
        case 2: { uint16_t x = (uint16_t)a;                                                              \
            __asm__ volatile("sub $128,%%rsp\n\tpush %[f]\n\tpopfq\n\t" insn "w %[x]\n\tpushfq\n\tpop %[f]\n\tadd $128,%%rsp" \
                             : [x] "+r"(x), [f] "+r"(f) : : "cc", "memory"); a = x; break; }         \
        case 4: { uint32_t x = (uint32_t)a;                                                              \
            __asm__ volatile("sub $128,%%rsp\n\tpush %[f]\n\tpopfq\n\t" insn "l %[x]\n\tpushfq\n\tpop %[f]\n\tadd $128,%%rsp" \
                             : [x] "+r"(x), [f] "+r"(f) : : "cc", "memory"); a = x; break; }         \
        default: { uint64_t x = a;                                                                       \
            __asm__ volatile("sub $128,%%rsp\n\tpush %[f]\n\tpopfq\n\t" insn "q %[x]\n\tpushfq\n\tpop %[f]\n\tadd $128,%%rsp" \
                             : [x] "+r"(x), [f] "+r"(f) : : "cc", "memory"); a = x; break; }         \
        }                                                                                                \
        *fl = (*fl & ~ARITH_FLAGS) | (f & ARITH_FLAGS);                                                  \
        return a;                                                                                        \
    }

OP2(op_add, "add")
OP2(op_or, "or")
OP2(op_adc, "adc")
OP2(op_sbb, "sbb")
OP2(op_and, "and")
OP2(op_sub, "sub")
OP2(op_xor, "xor")
OP2(op_cmp, "cmp")
OP2(op_test, "test")
OP1(op_inc, "inc")
OP1(op_dec, "dec")
OP1(op_neg, "neg")

static uint64_t sign_extend(uint64_t v, unsigned from_bytes)
{
    unsigned bits = from_bytes * 8;
    if (bits >= 64)
        return v;
    uint64_t m = 1ull << (bits - 1);
    v &= (1ull << bits) - 1;
    return (v ^ m) - m;
}

/* The value of a non-memory operand (register or immediate), as wide as size. */
static bool operand_value(const ucontext_t *uc, const ZydisDecodedOperand *o, unsigned size, uint64_t *v)
{
    if (o->type == ZYDIS_OPERAND_TYPE_REGISTER)
        return reg_value(uc, o->reg.value, v);
    if (o->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        *v = o->imm.is_signed ? (uint64_t)o->imm.value.s : o->imm.value.u;
        *v &= mask_of(size);
        return true;
    }
    return false;
}

bool cw_insn_emulate(const cw_insn *in, ucontext_t *uc, const cw_mem_io *io)
{
    if (!in->emulable || !in->has_mem)
        return false;
    const priv *p = (const priv *)in->priv;
    const ZydisDecodedOperand *op = p->op;
    int mi = p->mem, other = -1;
    for (int i = 0; i < p->in.operand_count_visible && other < 0; i++)
        if (i != mi)
            other = i;
    unsigned size = in->size;
    uint64_t fl = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
    uint64_t mem = 0, res = 0;
    ZydisMnemonic mn = p->in.mnemonic;
    bool store_mem = false, store_reg = false, set_flags = true;
    if (in->reads && !io->read(in->ea, &mem, size, io->ctx))
        return false;
    switch (mn) {
    case ZYDIS_MNEMONIC_MOV:
        set_flags = false;
        if (mi == 0) {   /* store */
            if (other < 0 || !operand_value(uc, &op[other], size, &res))
                return false;
            store_mem = true;
        } else {         /* load */
            res = mem;
            store_reg = true;
        }
        break;
    case ZYDIS_MNEMONIC_MOVZX:
        set_flags = false;
        res = mem;
        store_reg = true;
        break;
    case ZYDIS_MNEMONIC_MOVSX:
    case ZYDIS_MNEMONIC_MOVSXD:
        set_flags = false;
        res = sign_extend(mem, size);
        store_reg = true;
        break;
    case ZYDIS_MNEMONIC_INC: res = op_inc(size, mem, &fl); store_mem = true; break;
    case ZYDIS_MNEMONIC_DEC: res = op_dec(size, mem, &fl); store_mem = true; break;
    case ZYDIS_MNEMONIC_NEG: res = op_neg(size, mem, &fl); store_mem = true; break;
    case ZYDIS_MNEMONIC_NOT: res = ~mem & mask_of(size); store_mem = true; set_flags = false; break;
    case ZYDIS_MNEMONIC_JMP:
    case ZYDIS_MNEMONIC_CALL:
        if (size != 8)
            return false;
        if (mn == ZYDIS_MNEMONIC_CALL) {
            /* The return address goes on the stack, which is never protected. */
            uint64_t *sp = (uint64_t *)(uintptr_t)uc->uc_mcontext.gregs[REG_RSP] - 1;
            *sp = (uint64_t)uc->uc_mcontext.gregs[REG_RIP] + in->len;
            uc->uc_mcontext.gregs[REG_RSP] = (greg_t)(uintptr_t)sp;
        }
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)mem;
        return true;
    case ZYDIS_MNEMONIC_XCHG: {
        const ZydisDecodedOperand *r = &op[mi == 0 ? 1 : 0];
        if (!operand_value(uc, r, size, &res))
            return false;
        if (!io->write(in->ea, &res, size, io->ctx))
            return false;
        reg_store(uc, r->reg.value, mem);
        uc->uc_mcontext.gregs[REG_RIP] += in->len;
        return true;
    }
    case ZYDIS_MNEMONIC_XADD: {
        const ZydisDecodedOperand *r = &op[1];
        uint64_t b;
        if (mi != 0 || !operand_value(uc, r, size, &b))
            return false;
        res = op_add(size, mem, b, &fl);
        if (!io->write(in->ea, &res, size, io->ctx))
            return false;
        reg_store(uc, r->reg.value, mem);
        uc->uc_mcontext.gregs[REG_EFL] = (greg_t)fl;
        uc->uc_mcontext.gregs[REG_RIP] += in->len;
        return true;
    }
    case ZYDIS_MNEMONIC_CMPXCHG: {
        const ZydisDecodedOperand *r = &op[1];
        uint64_t acc = (uint64_t)uc->uc_mcontext.gregs[REG_RAX] & mask_of(size), src;
        if (mi != 0 || !operand_value(uc, r, size, &src))
            return false;
        op_cmp(size, acc, mem, &fl);
        if (acc == mem) {
            if (!io->write(in->ea, &src, size, io->ctx))
                return false;
        } else {
            reg_store(uc, size == 8 ? ZYDIS_REGISTER_RAX : size == 4 ? ZYDIS_REGISTER_EAX
                                      : size == 2 ? ZYDIS_REGISTER_AX : ZYDIS_REGISTER_AL, mem);
        }
        uc->uc_mcontext.gregs[REG_EFL] = (greg_t)fl;
        uc->uc_mcontext.gregs[REG_RIP] += in->len;
        return true;
    }
    default: {
        /* Two operands, one of them memory: m op= x, or r op= m. */
        if (other < 0)
            return false;
        uint64_t a, b;
        if (mi == 0) {
            a = mem;
            if (!operand_value(uc, &op[other], size, &b))
                return false;
        } else {
            if (!operand_value(uc, &op[other], size, &a))
                return false;
            b = mem;
        }
        switch (mn) {
        case ZYDIS_MNEMONIC_ADD: res = op_add(size, a, b, &fl); break;
        case ZYDIS_MNEMONIC_OR: res = op_or(size, a, b, &fl); break;
        case ZYDIS_MNEMONIC_ADC: res = op_adc(size, a, b, &fl); break;
        case ZYDIS_MNEMONIC_SBB: res = op_sbb(size, a, b, &fl); break;
        case ZYDIS_MNEMONIC_AND: res = op_and(size, a, b, &fl); break;
        case ZYDIS_MNEMONIC_SUB: res = op_sub(size, a, b, &fl); break;
        case ZYDIS_MNEMONIC_XOR: res = op_xor(size, a, b, &fl); break;
        case ZYDIS_MNEMONIC_CMP: op_cmp(size, a, b, &fl); break;
        case ZYDIS_MNEMONIC_TEST: op_test(size, a, b, &fl); break;
        default: return false;
        }
        if (mn != ZYDIS_MNEMONIC_CMP && mn != ZYDIS_MNEMONIC_TEST) {
            if (mi == 0)
                store_mem = true;
            else
                store_reg = true;
        }
        break;
    }
    }
    if (store_reg) {
        /* The destination register is the other (first) operand. */
        const ZydisDecodedOperand *dst = &op[mi == 0 ? other : 0];
        if (dst->type != ZYDIS_OPERAND_TYPE_REGISTER || gpr_of(dst->reg.value).greg < 0)
            return false;
    }
    if (store_mem && !io->write(in->ea, &res, size, io->ctx))
        return false;
    if (store_reg)
        reg_store(uc, op[mi == 0 ? other : 0].reg.value, res);
    if (set_flags)
        uc->uc_mcontext.gregs[REG_EFL] = (greg_t)fl;
    uc->uc_mcontext.gregs[REG_RIP] += in->len;
    return true;
}

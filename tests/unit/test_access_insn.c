/*
 * Proves that cw_access_insn_from (detector/races/access_insn.c) finds the
 * instruction a watchpoint trapped after by decoding forward from a known
 * instruction start (its function's start, in the shim) and tells an atomic
 * access from a plain one and a write from a read; that it never reads
 * outside [start, hi); and that cw_access_insn finds the function's start
 * of real compiled code in the unwind tables.
 *
 * Every byte sequence is a real instruction: assembled with `as` and read
 * back with `objdump -d` (the disassembly is next to each).  Each is placed
 * twice: at the very start and at the very end of a readable page whose
 * neighbours are PROT_NONE, with start = its first byte and hi = the page's
 * end, so a read before start or at/after hi crashes the test; both
 * placements must agree.  A `ret` (C3) follows every sequence when there is
 * room: the trap lands on the next instruction.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "common/code_map.h"
#include "races/access_insn.h"
#include "races/insn_decode.h"
#include "stacks/stack_capture.h"

#define D32(x) (uint8_t)(x), (uint8_t)((x) >> 8), (uint8_t)((x) >> 16), (uint8_t)((x) >> 24)
#define RIP D32(0x100)   /* the disp32 of every RIP-relative operand below */

typedef struct vec {
    const char *what;     /* objdump's disassembly */
    uint8_t b[24];
    size_t n;
    size_t trap;          /* offset of the trap's next_pc in b; 0 = right after b */
    bool atomic;
    int writes;           /* 1, 0; -1: not checked */
} vec;

#define INSN(expect, what, ...) \
    { what, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), 0, expect, -1 }
#define INSN_RW(expect, writes, what, ...) \
    { what, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), 0, expect, writes }
/* A store then a fence: the trap lands on the fence, at offset `at`. */
#define THEN_FENCE(expect, at, what, ...) \
    { what, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), at, expect, 1 }

static const vec cases[] = {
    /* ---- plain accesses: a data race can be one of these ---- */
    INSN_RW(false, 1, "mov %eax,g(%rip)", 0x89, 0x05, RIP),
    INSN_RW(false, 0, "mov g(%rip),%eax", 0x8b, 0x05, RIP),
    INSN_RW(false, 1, "add %eax,g(%rip)", 0x01, 0x05, RIP),
    INSN(false, "addl $0x1,(%rdi)", 0x83, 0x07, 0x01),
    INSN(false, "mov %rax,0x8(%rdi)", 0x48, 0x89, 0x47, 0x08),
    INSN(false, "mov %rax,g(%rip)", 0x48, 0x89, 0x05, RIP),
    INSN_RW(false, 0, "cmp %eax,g(%rip)", 0x39, 0x05, RIP),
    INSN(false, "mov $0x87,%al; mov %eax,(%rdi) (an 87 byte before: xchg 89 07.. would be 6 bytes)",
         0xb0, 0x87, 0x89, 0x07),
    THEN_FENCE(false, 6, "mov %eax,g(%rip); lfence", 0x89, 0x05, RIP, 0x0f, 0xae, 0xe8),
    THEN_FENCE(false, 6, "mov %eax,g(%rip); sfence", 0x89, 0x05, RIP, 0x0f, 0xae, 0xf8),

    /* ---- LOCK-prefixed read-modify-writes ---- */
    INSN(true, "lock addl $0x1,g(%rip)", 0xf0, 0x83, 0x05, RIP, 0x01),
    INSN(true, "lock addl $0x1,-0x20(%rip)", 0xf0, 0x83, 0x05, D32(-0x20), 0x01),
    INSN(true, "lock add %eax,(%rdi)", 0xf0, 0x01, 0x07),
    INSN(true, "lock addq $0x1,g(%rip)", 0xf0, 0x48, 0x83, 0x05, RIP, 0x01),
    INSN(true, "lock addb $0x1,g(%rip)", 0xf0, 0x80, 0x05, RIP, 0x01),
    INSN(true, "lock addw $0x1,g(%rip)", 0x66, 0xf0, 0x83, 0x05, RIP, 0x01),
    INSN(true, "lock or %eax,g(%rip)", 0xf0, 0x09, 0x05, RIP),
    INSN(true, "lock subl $0x12345678,g(%rip)", 0xf0, 0x81, 0x2d, RIP, D32(0x12345678)),
    INSN(true, "lock andw $0x1234,g(%rip)", 0x66, 0xf0, 0x81, 0x25, RIP, 0x34, 0x12),
    INSN(true, "lock negl (%rdi)", 0xf0, 0xf7, 0x1f),
    INSN(true, "lock notq g(%rip)", 0xf0, 0x48, 0xf7, 0x15, RIP),
    INSN(true, "lock xadd %eax,g(%rip)", 0xf0, 0x0f, 0xc1, 0x05, RIP),
    INSN(true, "lock xadd %ax,g(%rip)", 0x66, 0xf0, 0x0f, 0xc1, 0x05, RIP),
    INSN(true, "lock xadd %rax,(%rdi,%rsi,8)", 0xf0, 0x48, 0x0f, 0xc1, 0x04, 0xf7),
    INSN(true, "lock xadd %r9,0x10(%r12,%r13,4)", 0xf0, 0x4f, 0x0f, 0xc1, 0x4c, 0xac, 0x10),
    INSN(true, "lock cmpxchg %ecx,g(%rip)", 0xf0, 0x0f, 0xb1, 0x0d, RIP),
    INSN(true, "lock cmpxchg %rcx,(%rdi)", 0xf0, 0x48, 0x0f, 0xb1, 0x0f),
    INSN(true, "lock cmpxchg %cx,g(%rip)", 0x66, 0xf0, 0x0f, 0xb1, 0x0d, RIP),
    INSN(true, "lock cmpxchg %cl,g(%rip)", 0xf0, 0x0f, 0xb0, 0x0d, RIP),
    INSN(true, "lock cmpxchg8b (%rdi)", 0xf0, 0x0f, 0xc7, 0x0f),
    INSN(true, "lock cmpxchg16b g(%rip)", 0xf0, 0x48, 0x0f, 0xc7, 0x0d, RIP),
    INSN(true, "lock incl g(%rip)", 0xf0, 0xff, 0x05, RIP),
    INSN(true, "lock incq (%rdi)", 0xf0, 0x48, 0xff, 0x07),
    INSN(true, "lock decl (%rdi)", 0xf0, 0xff, 0x0f),
    INSN(true, "lock incw g(%rip)", 0x66, 0xf0, 0xff, 0x05, RIP),
    INSN(true, "lock incb (%rax)", 0xf0, 0xfe, 0x00),
    INSN(true, "lock btsl $0x3,g(%rip)", 0xf0, 0x0f, 0xba, 0x2d, RIP, 0x03),
    INSN(true, "lock bts %rax,g(%rip)", 0xf0, 0x48, 0x0f, 0xab, 0x05, RIP),
    /* addressing forms: SIB, absolute, disp8, REX.B bases */
    INSN(true, "lock addl $0x1,0x1000 (SIB, no base, no index)", 0xf0, 0x83, 0x04, 0x25, D32(0x1000), 0x01),
    INSN(true, "lock addl $0x1,(%rsp)", 0xf0, 0x83, 0x04, 0x24, 0x01),
    INSN(true, "lock addl $0x1,0x7f(%rsp)", 0xf0, 0x83, 0x44, 0x24, 0x7f, 0x01),
    INSN(true, "lock addl $0x1,0x10(%r13)", 0xf0, 0x41, 0x83, 0x45, 0x10, 0x01),
    INSN(true, "lock add %eax,0x0(%r12)", 0xf0, 0x41, 0x01, 0x84, 0x24, D32(0)),
    INSN(true, "lock add %eax,%fs:g(%rip)", 0x64, 0xf0, 0x01, 0x05, RIP),
    INSN(true, "lock addq $0x12345678,%fs:0x11223344(%rax,%rbx,2) (14 bytes)",
         0x64, 0xf0, 0x48, 0x81, 0x84, 0x58, D32(0x11223344), D32(0x12345678)),

    /* ---- XCHG with memory: locked without a prefix (gcc 12's seq_cst store) ---- */
    INSN(true, "xchg %eax,g(%rip)", 0x87, 0x05, RIP),
    INSN(true, "xchg %edi,g(%rip)", 0x87, 0x3d, RIP),
    INSN(true, "xchg %rax,(%rdi)", 0x48, 0x87, 0x07),
    INSN(true, "xchg %r8,g(%rip)", 0x4c, 0x87, 0x05, RIP),
    INSN(true, "xchg %ax,g(%rip)", 0x66, 0x87, 0x05, RIP),
    INSN(true, "xchg %al,(%rdi)", 0x86, 0x07),
    INSN(true, "xchg %rax,0x1000", 0x48, 0x87, 0x04, 0x25, D32(0x1000)),

    /* ---- sequentially consistent stores: MOV then MFENCE (older gcc) ---- */
    THEN_FENCE(true, 6, "mov %eax,g(%rip); mfence", 0x89, 0x05, RIP, 0x0f, 0xae, 0xf0),
    THEN_FENCE(true, 3, "mov %rax,(%rdi); mfence", 0x48, 0x89, 0x07, 0x0f, 0xae, 0xf0),
    THEN_FENCE(true, 10, "movl $0x5,g(%rip); mfence", 0xc7, 0x05, RIP, D32(5), 0x0f, 0xae, 0xf0),
    THEN_FENCE(true, 7, "movb $0x5,g(%rip); mfence", 0xc6, 0x05, RIP, 0x05, 0x0f, 0xae, 0xf0),

    /* ---- what decoding backwards took for atomics: forward, they are the
     * plain accesses they are ---- */
    INSN_RW(false, 1, "movl $0x871234,(%rax): its last bytes 87 00 also read as xchg %eax,(%rax)",
            0xc7, 0x00, 0x34, 0x12, 0x87, 0x00),
    INSN_RW(false, 1, "and $-16,%rsp; add %eax,(%rcx): the immediate F0 also reads as LOCK",
            0x48, 0x83, 0xe4, 0xf0, 0x01, 0x01),
    INSN_RW(false, 1, "mov $0xf0,%al; add %eax,(%rcx)", 0xb0, 0xf0, 0x01, 0x01),
    INSN_RW(true, 1, "mov $0x1,%eax; lock xadd %eax,(%rdi)", 0xb8, 0x01, 0x00, 0x00, 0x00, 0xf0, 0x0f, 0xc1, 0x07),
};

static uint8_t *page;   /* readable, between two PROT_NONE pages */
static size_t psz;

static bool kind_of(const uint8_t *start, const uint8_t *next, const uint8_t *hi, cw_access_kind *k)
{
    return cw_access_insn_from((uintptr_t)start, (uintptr_t)next, (uintptr_t)hi, k);
}

/* The decoder's answer for v placed at the start, then at the end, of the
 * page (the ret after it only when there is room). */
static cw_access_kind kind_at_both_ends(const vec *v)
{
    uint8_t code[32];
    memcpy(code, v->b, v->n);
    code[v->n] = 0xc3;   /* ret */
    size_t n = v->n + 1, trap = v->trap ? v->trap : v->n;
    cw_access_kind at_start, at_end;

    memset(page, 0xcc, psz);   /* int3 padding, as between functions */
    memcpy(page, code, n);
    CHECK(kind_of(page, page + trap, page + psz, &at_start));

    memset(page, 0xcc, psz);
    uint8_t *at = page + psz - v->n;   /* ends exactly at hi */
    memcpy(at, code, v->n);
    CHECK(kind_of(at, at + trap, page + psz, &at_end));

    if (at_start.atomic != at_end.atomic || at_start.writes != at_end.writes)
        fprintf(stderr, "  %s: %d/%d at the page start, %d/%d at its end\n", v->what, at_start.atomic,
                at_start.writes, at_end.atomic, at_end.writes);
    CHECK(at_start.known && at_end.known && at_start.atomic == at_end.atomic && at_start.writes == at_end.writes);
    return at_start;
}

static void test_cases(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cw_access_kind got = kind_at_both_ends(&cases[i]);
        if (got.atomic != cases[i].atomic || (cases[i].writes >= 0 && got.writes != (cases[i].writes == 1)))
            fprintf(stderr, "  %s: atomic=%d writes=%d, expected %d %d\n", cases[i].what, got.atomic, got.writes,
                    cases[i].atomic, cases[i].writes);
        CHECK(got.atomic == cases[i].atomic);
        CHECK(cases[i].writes < 0 || got.writes == (cases[i].writes == 1));
    }
}

/* The edges of [start, hi): nothing before start or from hi on is read,
 * and a pc that is no instruction boundary is not known. */
static void test_bounds(void)
{
    static const uint8_t lock_add[] = { 0xf0, 0x83, 0x05, RIP, 0x01 };   /* lock addl $0x1,g(%rip) */
    static const uint8_t add[] = { 0x01, 0x05, RIP };                    /* add %eax,g(%rip) */
    static const uint8_t store_fence[] = { 0x89, 0x05, RIP, 0x0f, 0xae, 0xf0 };
    static const uint8_t regs_only[] = { 0x48, 0x93 };                   /* xchg %rax,%rbx */
    uint8_t *hi = page + psz;
    cw_access_kind k;

    /* The instruction starts exactly at start (a PROT_NONE page just before). */
    memset(page, 0xcc, psz);
    memcpy(page, lock_add, sizeof lock_add);
    CHECK(kind_of(page, page + sizeof lock_add, hi, &k) && k.atomic && k.writes);
    /* next_pc not after start, or past hi: nothing is read at all. */
    CHECK(!kind_of(page, page, hi, &k) && !k.known);
    CHECK(!kind_of(page, hi + 7, hi, &k) && !k.known);
    /* next_pc inside the instruction: no instruction ends there. */
    for (size_t i = 1; i < sizeof lock_add; i++)
        CHECK(!kind_of(page, page + i, hi, &k) && !k.known);
    /* A register-only instruction ending there: no memory access to judge. */
    memset(page, 0xcc, psz);
    memcpy(page, regs_only, sizeof regs_only);
    CHECK(!kind_of(page, page + sizeof regs_only, hi, &k) && !k.known);

    /* A LOCK byte just before start is not part of the code: the add is plain. */
    memset(page, 0xcc, psz);
    page[0] = 0xf0;
    memcpy(page + 1, add, sizeof add);
    page[1 + sizeof add] = 0xc3;
    CHECK(kind_of(page + 1, page + 1 + sizeof add, hi, &k) && !k.atomic);
    CHECK(kind_of(page, page + 1 + sizeof add, hi, &k) && k.atomic);   /* from it: a lock add */

    /* An MFENCE ending exactly at hi is read... */
    memset(page, 0xcc, psz);
    memcpy(hi - sizeof store_fence, store_fence, sizeof store_fence);
    CHECK(kind_of(hi - sizeof store_fence, hi - 3, hi, &k) && k.atomic);
    /* ...and one cut by hi is not: its third byte would be past hi. */
    memset(page, 0xcc, psz);
    memcpy(hi - (sizeof store_fence - 1), store_fence, sizeof store_fence - 1);
    CHECK(kind_of(hi - (sizeof store_fence - 1), hi - 2, hi, &k) && !k.atomic);
    /* An atomic instruction ending exactly at hi (next_pc == hi) is found. */
    memset(page, 0xcc, psz);
    memcpy(hi - sizeof lock_add, lock_add, sizeof lock_add);
    CHECK(kind_of(hi - sizeof lock_add, hi, hi, &k) && k.atomic);
    /* An instruction cut by hi is not decoded. */
    memset(page, 0xcc, psz);
    memcpy(hi - 4, lock_add, 4);
    CHECK(!kind_of(hi - 4, hi, hi, &k) && !k.known);
}

/* Real compiled code: gcc's relaxed fetch_add and a plain store in this
 * very binary (not instrumented), found where the CPU would trap after
 * them, the function's start taken from the unwind tables. */
static int counter;
static int plain;
__attribute__((noinline, no_sanitize("address", "undefined"))) static void bump(void)
{
    __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&plain, 7, __ATOMIC_RELAXED);
}

static void test_compiled(void)
{
    const uint8_t *fn = (const uint8_t *)(uintptr_t)bump;
    const cw_code_range *r = cw_code_map_find_or_rescan((uintptr_t)fn);
    CHECK(r != NULL);
    if (!r)
        return;
    CHECK(cw_function_start((uintptr_t)fn + 1) == (uintptr_t)fn);
    const uint8_t *lock_at = NULL, *store_at = NULL;   /* f0 83 05 <disp32> 01, then c7 05 <disp32> <imm32> */
    for (const uint8_t *p = fn; p + 10 < (const uint8_t *)r->hi && p < fn + 48; p++) {
        if (!lock_at && p[0] == 0xf0 && p[1] == 0x83 && p[2] == 0x05 && p[7] == 0x01)
            lock_at = p;
        if (!store_at && p[0] == 0xc7 && p[1] == 0x05 && p[6] == 7 && p[7] == 0 && p[8] == 0 && p[9] == 0)
            store_at = p;
    }
    if (!lock_at || !store_at) {
        printf("note: not the expected instructions in bump() with this compiler; compiled-code case skipped\n");
        return;
    }
    cw_access_kind k;
    CHECK(cw_access_insn((uintptr_t)lock_at + 8, r->lo, r->hi, &k) && k.atomic && k.writes);
    CHECK(cw_access_insn((uintptr_t)store_at + 10, r->lo, r->hi, &k) && !k.atomic && k.writes);
    /* Asked again: the cached answer. */
    CHECK(cw_access_insn((uintptr_t)lock_at + 8, r->lo, r->hi, &k) && k.atomic);
    /* Inside an instruction: not known (and not cached as known). */
    CHECK(!cw_access_insn((uintptr_t)lock_at + 3, r->lo, r->hi, &k));
    bump();
    CHECK(counter == 1 && plain == 7);
}

int main(void)
{
#if !defined(__x86_64__)
    printf("skipped: the decoder is x86-64 only\n");
    return 77;
#else
    if (!cw_insn_load()) {
        printf("skipped: the decoder (libzydis4.0) is not installed\n");
        return 77;
    }
    psz = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *m = mmap(NULL, 3 * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || mprotect(m + psz, psz, PROT_READ | PROT_WRITE) != 0) {
        printf("skipped: cannot map guarded pages\n");
        return 77;
    }
    page = m + psz;
    test_cases();
    test_bounds();
    test_compiled();
    munmap(m, 3 * psz);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
#endif
}

/*
 * Proves that cw_insn_scan_atomic_targets (detector/races/access_insn.c)
 * finds the global variables that code accesses atomically: the target
 * address and size of a LOCK-prefixed or XCHG read-modify-write with a
 * RIP-relative or absolute operand, and of a MOV store followed by MFENCE,
 * exactly once per instruction whatever its prefixes; and none for plain
 * accesses, register-based or %fs-relative operands, or bytes that only
 * look like an atomic instruction inside another one (it decodes forward
 * from known instruction starts).
 *
 * The byte sequences are real instructions (`as` + `objdump -d`, shown next
 * to each), scanned from a malloc'd copy of exactly their bytes so that ASan
 * catches any read past the end.  Last, the atomics gcc compiled into this
 * very binary are scanned where they are, and found at the variables' real
 * addresses.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/code_map.h"
#include "races/access_insn.h"
#include "races/insn_decode.h"

#define D32(x) (uint8_t)(x), (uint8_t)((x) >> 8), (uint8_t)((x) >> 16), (uint8_t)((x) >> 24)
#define RIP D32(0x100)
#define IP0 0x400000u   /* where the scanned bytes "run" */

typedef struct hits {
    int n;
    uint64_t target[16];
    unsigned size[16];
} hits;

static void collect(uint64_t target, unsigned size, void *arg)
{
    hits *h = arg;
    if (h->n < 16) {
        h->target[h->n] = target;
        h->size[h->n] = size;
    }
    h->n++;
}

static hits scan(const uint8_t *code, size_t n)
{
    hits h = { 0 };
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, code, n);
    CHECK(cw_insn_scan_atomic_targets(copy, n, IP0, NULL, 0, collect, &h, NULL));
    free(copy);
    return h;
}

static bool has(const hits *h, uint64_t target, unsigned size)
{
    for (int i = 0; i < h->n && i < 16; i++)
        if (h->target[i] == target && h->size[i] == size)
            return true;
    return false;
}

typedef struct vec {
    const char *what;
    uint8_t b[24];
    size_t n;
    int expect;          /* reports expected: 0 or 1 */
    uint64_t target;
    unsigned size;
} vec;

#define NONE(what, ...) { what, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), 0, 0, 0 }
#define ONE(target, size, what, ...) \
    { what, { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }), 1, target, size }

/* A RIP-relative operand of an instruction (or store) ending `len` bytes after IP0. */
#define AFTER(len) (IP0 + (len) + 0x100)

static const vec cases[] = {
    /* plain accesses, and atomics whose address is in a register */
    NONE("mov %eax,g(%rip)", 0x89, 0x05, RIP),
    NONE("add %eax,g(%rip)", 0x01, 0x05, RIP),
    NONE("mov g(%rip),%eax", 0x8b, 0x05, RIP),
    NONE("cmp %eax,g(%rip)", 0x39, 0x05, RIP),
    NONE("mov %eax,g(%rip); lfence", 0x89, 0x05, RIP, 0x0f, 0xae, 0xe8),
    NONE("lock add %eax,(%rdi)", 0xf0, 0x01, 0x07),
    NONE("lock xadd %r9,0x10(%r12,%r13,4)", 0xf0, 0x4f, 0x0f, 0xc1, 0x4c, 0xac, 0x10),
    NONE("lock addl $0x1,0x1000(,%rax,1) (an index register: not absolute)",
         0xf0, 0x83, 0x04, 0x05, D32(0x1000), 0x01),
    NONE("mov %rax,(%rdi); mfence", 0x48, 0x89, 0x07, 0x0f, 0xae, 0xf0),
    NONE("xchg %rax,%rbx", 0x48, 0x93),

    /* atomic read-modify-writes of a global */
    ONE(AFTER(8), 4, "lock addl $0x1,g(%rip)", 0xf0, 0x83, 0x05, RIP, 0x01),
    ONE(IP0 + 8 - 0x20, 4, "lock addl $0x1,-0x20(%rip)", 0xf0, 0x83, 0x05, D32(-0x20), 0x01),
    ONE(AFTER(9), 8, "lock addq $0x1,g(%rip)", 0xf0, 0x48, 0x83, 0x05, RIP, 0x01),
    ONE(AFTER(8), 1, "lock addb $0x1,g(%rip)", 0xf0, 0x80, 0x05, RIP, 0x01),
    ONE(AFTER(11), 4, "lock subl $0x12345678,g(%rip)", 0xf0, 0x81, 0x2d, RIP, D32(0x12345678)),
    ONE(AFTER(8), 8, "lock notq g(%rip)", 0xf0, 0x48, 0xf7, 0x15, RIP),
    ONE(AFTER(7), 4, "lock incl g(%rip)", 0xf0, 0xff, 0x05, RIP),
    ONE(AFTER(8), 4, "lock xadd %eax,g(%rip)", 0xf0, 0x0f, 0xc1, 0x05, RIP),
    ONE(AFTER(8), 4, "lock cmpxchg %ecx,g(%rip)", 0xf0, 0x0f, 0xb1, 0x0d, RIP),
    ONE(AFTER(9), 8, "lock cmpxchg %rcx,g(%rip)", 0xf0, 0x48, 0x0f, 0xb1, 0x0d, RIP),
    ONE(AFTER(8), 1, "lock cmpxchg %cl,g(%rip)", 0xf0, 0x0f, 0xb0, 0x0d, RIP),
    ONE(AFTER(8), 8, "lock cmpxchg8b g(%rip)", 0xf0, 0x0f, 0xc7, 0x0d, RIP),
    ONE(AFTER(9), 16, "lock cmpxchg16b g(%rip)", 0xf0, 0x48, 0x0f, 0xc7, 0x0d, RIP),
    ONE(AFTER(9), 4, "lock btsl $0x3,g(%rip)", 0xf0, 0x0f, 0xba, 0x2d, RIP, 0x03),
    ONE(AFTER(9), 8, "lock bts %rax,g(%rip)", 0xf0, 0x48, 0x0f, 0xab, 0x05, RIP),
    ONE(AFTER(6), 4, "xchg %eax,g(%rip)", 0x87, 0x05, RIP),
    ONE(AFTER(6), 4, "xchg %edi,g(%rip) (gcc 12's seq_cst store)", 0x87, 0x3d, RIP),
    ONE(0x1000, 4, "lock addl $0x1,0x1000 (absolute)", 0xf0, 0x83, 0x04, 0x25, D32(0x1000), 0x01),

    /* sequentially consistent stores (MOV then MFENCE) */
    ONE(AFTER(6), 4, "mov %eax,g(%rip); mfence", 0x89, 0x05, RIP, 0x0f, 0xae, 0xf0),
    ONE(AFTER(7), 1, "movb $0x5,g(%rip); mfence", 0xc6, 0x05, RIP, 0x05, 0x0f, 0xae, 0xf0),
    ONE(AFTER(9), 2, "movw $0x5,g(%rip); mfence", 0x66, 0xc7, 0x05, RIP, 0x05, 0x00, 0x0f, 0xae, 0xf0),
    ONE(0x1000, 4, "mov %eax,0x1000; mfence", 0x89, 0x04, 0x25, D32(0x1000), 0x0f, 0xae, 0xf0),
};

/* A prefix (66 or REX) before the opcode: one report, with the size the
 * prefix gives. */
static const vec prefixed[] = {
    ONE(AFTER(9), 2, "lock cmpxchg %cx,g(%rip)", 0x66, 0xf0, 0x0f, 0xb1, 0x0d, RIP),
    ONE(AFTER(8), 2, "lock incw g(%rip)", 0x66, 0xf0, 0xff, 0x05, RIP),
    ONE(AFTER(9), 2, "lock addw $0x1,g(%rip)", 0x66, 0xf0, 0x83, 0x05, RIP, 0x01),
    ONE(AFTER(7), 8, "xchg %rax,g(%rip)", 0x48, 0x87, 0x05, RIP),
    ONE(AFTER(7), 8, "xchg %r8,g(%rip)", 0x4c, 0x87, 0x05, RIP),
    ONE(AFTER(7), 2, "xchg %ax,g(%rip)", 0x66, 0x87, 0x05, RIP),
    ONE(AFTER(7), 8, "mov %rax,g(%rip); mfence", 0x48, 0x89, 0x05, RIP, 0x0f, 0xae, 0xf0),
    ONE(AFTER(7), 2, "mov %ax,g(%rip); mfence", 0x66, 0x89, 0x05, RIP, 0x0f, 0xae, 0xf0),
    ONE(AFTER(11), 8, "movq $0x5,g(%rip); mfence", 0x48, 0xc7, 0x05, RIP, D32(5), 0x0f, 0xae, 0xf0),
    /* and what is no global */
    NONE("lock addl $0x1,0x1000(,%r12,1) (REX.X: index r12, not absolute)",
         0xf0, 0x42, 0x83, 0x04, 0x25, D32(0x1000), 0x01),
    NONE("lock add %eax,%fs:0x10 (thread-local)", 0x64, 0xf0, 0x01, 0x04, 0x25, D32(0x10)),
    NONE("lock add %eax,%fs:g(%rip) (thread-local)", 0x64, 0xf0, 0x01, 0x05, RIP),
    NONE("xchg %rax,%fs:0x28", 0x64, 0x48, 0x87, 0x04, 0x25, D32(0x28)),
    NONE("movabs $0x01000001000583f0,%rax (lock addl $1,g(%rip) inside the immediate)",
         0x48, 0xb8, 0xf0, 0x83, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01),
    NONE("movl $0x871234,(%rax) (xchg %eax,(%rax) in its last bytes)", 0xc7, 0x00, 0x34, 0x12, 0x87, 0x00),
    NONE("movl $0x05870000,g(%rip) (xchg %eax,g2(%rip) would start in its immediate)",
         0xc7, 0x05, RIP, 0x00, 0x00, 0x87, 0x05),
};

static void show(const vec *v, const hits *h)
{
    fprintf(stderr, "  %s: %d report(s)", v->what, h->n);
    for (int i = 0; i < h->n && i < 16; i++)
        fprintf(stderr, " (%#llx, %u)", (unsigned long long)h->target[i], h->size[i]);
    fprintf(stderr, "; expected %d (%#llx, %u)\n", v->expect, (unsigned long long)v->target, v->size);
}

static void test_cases(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const vec *v = &cases[i];
        hits h = scan(v->b, v->n);
        bool ok = h.n == v->expect && (v->expect == 0 || has(&h, v->target, v->size));
        if (!ok)
            show(v, &h);
        CHECK(ok);
    }
    for (size_t i = 0; i < sizeof prefixed / sizeof prefixed[0]; i++) {
        const vec *v = &prefixed[i];
        hits h = scan(v->b, v->n);
        bool ok = h.n == v->expect && (v->expect == 0 || has(&h, v->target, v->size));
        if (!ok)
            show(v, &h);
        CHECK(ok);
    }
}

/* Known starts: bytes that are no instructions (data in the code, or a
 * decoding that runs into the next function) do not hide what follows. */
static void test_starts(void)
{
    static const uint8_t code[] = {
        0x0f, 0x0b, 0xf0, 0x87,                     /*  0: ud2; then two bytes of junk (f0 87 ...)   */
        0xf0, 0x83, 0x05, D32(0x200), 0x01,         /*  4: lock addl $0x1,g(%rip)  (a known start) */
        0xc3,                                       /* 12: ret */
    };
    uint64_t starts[] = { IP0 + 4, IP0 + 100 /* outside: ignored */ };
    hits h = { 0 };
    uint8_t *copy = malloc(sizeof code);
    memcpy(copy, code, sizeof code);
    bool any = false;
    CHECK(cw_insn_scan_atomic_targets(copy, sizeof code, IP0, starts, 2, collect, &h, &any));
    free(copy);
    /* Without the start, `f0 87 f0 83 05 ...` decodes as something else;
     * with it, the lock add is found, once. */
    CHECK(h.n == 1 && h.target[0] == IP0 + 12 + 0x200 && h.size[0] == 4);
    CHECK(any);
    /* any_atomic: an atomic instruction whose address is in a register. */
    static const uint8_t regs[] = { 0xf0, 0x01, 0x07, 0xc3 };   /* lock add %eax,(%rdi); ret */
    any = false;
    h = (hits){ 0 };
    copy = malloc(sizeof regs);
    memcpy(copy, regs, sizeof regs);
    CHECK(cw_insn_scan_atomic_targets(copy, sizeof regs, IP0, NULL, 0, collect, &h, &any));
    free(copy);
    CHECK(h.n == 0 && any);
    static const uint8_t plain[] = { 0x01, 0x07, 0xc3 };   /* add %eax,(%rdi); ret */
    any = false;
    CHECK(cw_insn_scan_atomic_targets(plain, sizeof plain, IP0, NULL, 0, collect, &h, &any) && !any);
}

/* Several instructions in a row: each target once, in code order, at the
 * address computed from where its instruction ends. */
static void test_sequence(void)
{
    static const uint8_t code[] = {
        0x89, 0x05, D32(0x40),                      /*  0: mov %eax,g(%rip)         plain */
        0xf0, 0x83, 0x05, D32(0x200), 0x01,         /*  6: lock addl $0x1,g1(%rip)  ends at 14 */
        0x8b, 0x05, D32(0x40),                      /* 14: mov g(%rip),%eax         plain */
        0x87, 0x05, D32(-0x1000),                   /* 20: xchg %eax,g2(%rip)       ends at 26 */
        0x01, 0x05, D32(0x40),                      /* 26: add %eax,g(%rip)         plain */
        0x89, 0x05, D32(0x300), 0x0f, 0xae, 0xf0,   /* 32: mov %eax,g3(%rip); mfence  ends at 38 */
        0xc3,                                       /* 41: ret */
    };
    hits h = scan(code, sizeof code);
    CHECK(h.n == 3);
    CHECK(h.target[0] == IP0 + 14 + 0x200 && h.size[0] == 4);
    CHECK(h.target[1] == IP0 + 26 - 0x1000 && h.size[1] == 4);
    CHECK(h.target[2] == IP0 + 38 + 0x300 && h.size[2] == 4);
}

/* Instructions cut by the end of the code: nothing read past it. */
static void test_truncated(void)
{
    static const uint8_t lock_add[] = { 0xf0, 0x83, 0x05, RIP, 0x01 };
    static const uint8_t fence[] = { 0x89, 0x05, RIP, 0x0f, 0xae, 0xf0 };
    for (size_t n = 1; n < 7; n++)   /* the disp32 itself is incomplete: no target */
        CHECK(scan(lock_add, n).n == 0);
    for (size_t n = 1; n < sizeof fence; n++)   /* the MFENCE is incomplete */
        CHECK(scan(fence, n).n == 0);
    CHECK(scan(fence, sizeof fence).n == 1);
    CHECK(scan(lock_add, 0).n == 0);
}

/* ---- atomics compiled into this binary (not instrumented) ---- */

static int counter;
static long flag;
static short word;
static int plain;
#define UNINSTRUMENTED __attribute__((noinline, no_sanitize("address", "undefined")))
UNINSTRUMENTED static void bump(void) { __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED); }
UNINSTRUMENTED static long swap(long v) { return __atomic_exchange_n(&flag, v, __ATOMIC_SEQ_CST); }
UNINSTRUMENTED static bool cas(short e) { return __atomic_compare_exchange_n(&word, &e, 5, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); }
UNINSTRUMENTED static void store_relaxed(int v) { __atomic_store_n(&plain, v, __ATOMIC_RELAXED); }

/* The targets found in the first bytes of fn, where it runs. */
static hits scan_function(void *fn)
{
    hits h = { 0 };
    uintptr_t at = (uintptr_t)fn;
    const cw_code_range *r = cw_code_map_find_or_rescan(at);
    if (!r)
        return h;
    size_t len = r->hi - at < 48 ? r->hi - at : 48;
    cw_insn_scan_atomic_targets((const uint8_t *)at, len, at, NULL, 0, collect, &h, NULL);
    return h;
}

static void test_compiled(void)
{
    hits h = scan_function((void *)(uintptr_t)bump);
    CHECK(has(&h, (uintptr_t)&counter, sizeof counter));
    h = scan_function((void *)(uintptr_t)swap);
    CHECK(has(&h, (uintptr_t)&flag, sizeof flag));
    h = scan_function((void *)(uintptr_t)cas);
    CHECK(has(&h, (uintptr_t)&word, sizeof word));
    h = scan_function((void *)(uintptr_t)store_relaxed);   /* a relaxed store is a plain MOV */
    for (int i = 0; i < h.n && i < 16; i++)
        CHECK(h.target[i] != (uintptr_t)&plain);
    bump();
    CHECK(swap(2) == 0 && cas(0) && counter == 1 && flag == 2 && word == 5);
    store_relaxed(1);
    CHECK(plain == 1);
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
    test_cases();
    test_sequence();
    test_truncated();
    test_starts();
    test_compiled();

    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
#endif
}

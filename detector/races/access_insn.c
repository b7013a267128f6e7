#include "access_insn.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "insn_decode.h"
#include "stacks/stack_capture.h"

#define MAX_FUNCTION_BYTES (256u * 1024u)   /* farther from its function's start: not decoded (time) */

/* The instruction at `at`: at most 15 bytes, none at or after hi. */
static bool decode_at(uintptr_t at, uintptr_t hi, cw_insn *in)
{
    size_t avail = hi - at < 15 ? hi - at : 15;
    return avail > 0 && cw_insn_decode((const uint8_t *)at, avail, at, NULL, in) && in->len > 0 && in->len <= avail;
}

bool cw_access_insn_from(uintptr_t start, uintptr_t next_pc, uintptr_t hi, cw_access_kind *out)
{
    *out = (cw_access_kind){ false, false, false };
#if defined(__x86_64__)
    if (start >= next_pc || next_pc > hi || next_pc - start > MAX_FUNCTION_BYTES || !cw_insn_loaded())
        return false;
    cw_insn in;
    uintptr_t at = start;
    while (at < next_pc) {
        if (!decode_at(at, hi, &in))
            return false;
        if (at + in.len == next_pc)
            break;
        at += in.len;
    }
    if (at >= next_pc || !in.has_mem)
        return false;   /* landed past it: next_pc is no instruction boundary of this function */
    out->known = true;
    out->writes = in.writes;
    out->atomic = in.atomic;
    if (!in.atomic && in.writes && next_pc + 3 <= hi) {
        const uint8_t *n = (const uint8_t *)next_pc;
        out->atomic = n[0] == 0x0F && n[1] == 0xAE && n[2] == 0xF0;   /* MFENCE: a seq_cst store */
    }
    return true;
#else
    (void)start; (void)next_pc; (void)hi;
    return false;
#endif
}

/* Answers by next_pc: a trap's pc repeats (a loop), and a function's
 * decoding costs microseconds.  Entry: next_pc << 8 | flags; lock-free. */
#define CACHE_SIZE 1024
#define F_VALID 1u
#define F_KNOWN 2u
#define F_ATOMIC 4u
#define F_WRITES 8u
static _Atomic uint64_t cache[CACHE_SIZE];

bool cw_access_insn(uintptr_t next_pc, uintptr_t lo, uintptr_t hi, cw_access_kind *out)
{
    *out = (cw_access_kind){ false, false, false };
    if (next_pc <= lo || next_pc > hi || next_pc >= (1ull << 56))
        return false;
    unsigned h = (unsigned)((next_pc * 0x9E3779B97F4A7C15ull) >> 54) % CACHE_SIZE;
    uint64_t e = atomic_load_explicit(&cache[h], memory_order_relaxed);
    if ((e & F_VALID) && (e >> 8) == next_pc) {
        *out = (cw_access_kind){ (e & F_KNOWN) != 0, (e & F_ATOMIC) != 0, (e & F_WRITES) != 0 };
        return out->known;
    }
    uintptr_t start = cw_function_start(next_pc - 1);
    if (start < lo)
        start = 0;   /* no function known there, or not in this segment */
    if (start)
        cw_access_insn_from(start, next_pc, hi, out);
    e = (uint64_t)next_pc << 8 | F_VALID | (out->known ? F_KNOWN : 0) | (out->atomic ? F_ATOMIC : 0) |
        (out->writes ? F_WRITES : 0);
    atomic_store_explicit(&cache[h], e, memory_order_relaxed);
    return out->known;
}

/* ---- the scan ------------------------------------------------------------ */

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorted copy of the starts inside (lo, hi), in buf (cap entries). */
static size_t starts_in(const uint64_t *starts, size_t n, uint64_t lo, uint64_t hi, uint64_t *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < cap; i++)
        if (starts[i] > lo && starts[i] < hi)
            buf[k++] = starts[i];
    qsort(buf, k, sizeof *buf, by_value);
    return k;
}

bool cw_insn_scan_atomic_targets(const uint8_t *code, size_t len, uint64_t ip0, const uint64_t *starts,
                                 size_t nstarts, void (*fn)(uint64_t target, unsigned size, void *arg), void *arg,
                                 bool *any_atomic)
{
#if defined(__x86_64__)
    if (!cw_insn_loaded() && !cw_insn_load())
        return false;
    /* (At start-up, in the sampler thread: malloc is fine.) */
    size_t cap = nstarts ? nstarts : 1;
    uint64_t *sorted = malloc(cap * sizeof *sorted);
    size_t ns = sorted ? starts_in(starts, nstarts, ip0, ip0 + len, sorted, cap) : 0;
    size_t next = 0;
    uint64_t ip = ip0, end = ip0 + len;
    bool last_was_store = false;
    uint64_t store_target = 0;
    unsigned store_size = 0;
    cw_insn in;
    while (ip < end) {
        /* A known start ahead: decoding resumes there if the current run
         * would cross it (data, or bytes that are no instruction). */
        while (next < ns && sorted[next] <= ip)
            next++;
        uint64_t limit = next < ns ? sorted[next] : end;
        size_t avail = end - ip < 15 ? (size_t)(end - ip) : 15;
        bool ok = cw_insn_decode(code + (ip - ip0), avail, ip, NULL, &in) && in.len > 0 && in.len <= avail &&
                  ip + in.len <= limit;
        if (!ok) {
            /* Not decodable here: skip to the next known start (or give up
             * on the rest of this run). */
            ip = limit > ip ? limit : ip + 1;
            last_was_store = false;
            continue;
        }
        if (in.atomic && any_atomic)
            *any_atomic = true;
        if (in.mfence && last_was_store)
            fn(store_target, store_size, arg);
        last_was_store = false;
        if (in.has_mem && in.fixed_address) {
            if (in.atomic)
                fn(in.fixed_ea, in.size, arg);
            else if (in.writes && !in.reads) {
                /* A plain store: atomic if an MFENCE follows. */
                last_was_store = true;
                store_target = in.fixed_ea;
                store_size = in.size;
            }
        }
        ip += in.len;
    }
    free(sorted);
    return true;
#else
    (void)code; (void)len; (void)ip0; (void)starts; (void)nstarts; (void)fn; (void)arg; (void)any_atomic;
    return false;
#endif
}

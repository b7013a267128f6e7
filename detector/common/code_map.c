#define _GNU_SOURCE
#include "code_map.h"

#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_RANGES 512

typedef struct snapshot {
    int n;
    cw_code_range r[MAX_RANGES];
} snapshot;

/* Published whole; old snapshots are left mapped (a reader may still be in
 * one, and scans are rare: start-up, and a miss in a slow path). */
static snapshot *_Atomic current;

/* Libraries the tool loads privately (besides the shim itself). */
static const char *const tool_prefixes[] = { "libunwind", "libdw", "libelf" };
static const char *const runtime_prefixes[] = {
    "libc.so", "libc-", "ld-linux", "ld.so", "ld64.so", "libpthread", "libdl.so", "librt.so",
    "linux-vdso", "linux-gate",
};

static bool has_prefix(const char *base, const char *const *prefixes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strncmp(base, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

static cw_code_owner owner_of(const char *path, uintptr_t bias, uintptr_t self_bias)
{
    if (bias == self_bias)
        return CW_CODE_TOOL;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (has_prefix(base, tool_prefixes, sizeof tool_prefixes / sizeof tool_prefixes[0]))
        return CW_CODE_TOOL;
    if (has_prefix(base, runtime_prefixes, sizeof runtime_prefixes / sizeof runtime_prefixes[0]))
        return CW_CODE_RUNTIME;
    return CW_CODE_PROGRAM;
}

typedef struct scan_state {
    snapshot *s;
    uintptr_t self_bias;
    bool first;
} scan_state;

static int collect(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    scan_state *st = arg;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    bool executable = st->first;
    st->first = false;
    uint8_t owner = name[0] ? (uint8_t)owner_of(name, info->dlpi_addr, st->self_bias) : CW_CODE_PROGRAM;
    for (int i = 0; i < info->dlpi_phnum && st->s->n < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X))
            st->s->r[st->s->n++] = (cw_code_range){
                .lo = info->dlpi_addr + ph->p_vaddr,
                .hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz,
                .bias = info->dlpi_addr,
                .owner = owner,
                .executable = executable,
            };
    }
    return 0;
}

void cw_code_map_scan(void)
{
    snapshot *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED)
        return;
    Dl_info self;
    scan_state st = {
        .s = s,
        .self_bias = dladdr((void *)cw_code_map_scan, &self) ? (uintptr_t)self.dli_fbase : 0,
        .first = true,
    };
    s->n = 0;
    dl_iterate_phdr(collect, &st);
    atomic_store_explicit(&current, s, memory_order_release);
}

const cw_code_range *cw_code_map_find(uintptr_t pc)
{
    const snapshot *s = atomic_load_explicit(&current, memory_order_acquire);
    for (int i = 0; s && i < s->n; i++)
        if (pc >= s->r[i].lo && pc < s->r[i].hi)
            return &s->r[i];
    return NULL;
}

const cw_code_range *cw_code_map_find_or_rescan(uintptr_t pc)
{
    const cw_code_range *r = cw_code_map_find(pc);
    if (r)
        return r;
    cw_code_map_scan();
    return cw_code_map_find(pc);
}

uintptr_t cw_code_map_executable_bias(void)
{
    const snapshot *s = atomic_load_explicit(&current, memory_order_acquire);
    if (!s) {
        cw_code_map_scan();
        s = atomic_load_explicit(&current, memory_order_acquire);
    }
    for (int i = 0; s && i < s->n; i++)
        if (s->r[i].executable)
            return s->r[i].bias;
    return 0;
}

static _Atomic(cw_pc_alias_fn) alias_fn;

void cw_code_map_set_alias(cw_pc_alias_fn fn) { atomic_store(&alias_fn, fn); }

uintptr_t cw_code_map_alias(uintptr_t pc)
{
    cw_pc_alias_fn fn = atomic_load(&alias_fn);
    return fn ? fn(pc) : 0;
}

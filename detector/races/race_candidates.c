#define _GNU_SOURCE
#include "race_candidates.h"

#include "access_insn.h"
#include "insn_decode.h"
#include "common/code_map.h"

#include <dlfcn.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <dwarf.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEBUG_INFO (64u << 20)   /* larger DWARF is not walked (start-up time) */
#define MAX_DEPTH 64

/* ---- ELF symbols -------------------------------------------------------- */

static bool writable_data_section(const Elf64_Shdr *sh, const char *name)
{
    if (!(sh->sh_flags & SHF_ALLOC) || !(sh->sh_flags & SHF_WRITE) || (sh->sh_flags & SHF_TLS))
        return false;
    if (sh->sh_type != SHT_PROGBITS && sh->sh_type != SHT_NOBITS)
        return false;
    /* The GOT and RELRO data are written by the loader only. */
    return strncmp(name, ".got", 4) != 0 && strncmp(name, ".data.rel.ro", 12) != 0;
}

/* The C runtime's own objects (crtstuff, the linker's markers). */
static bool runtime_symbol(const char *name)
{
    return strncmp(name, "completed.", 10) == 0 || strcmp(name, "__dso_handle") == 0 ||
           strcmp(name, "__TMC_END__") == 0 || strcmp(name, "dtor_idx.0") == 0;
}

/* Without a type: an object of a scalar's size is one scalar; anything else
 * is watched a byte at a time. */
static bool default_cells(cw_race_var *v)
{
    static cw_race_cell one_byte = { 0, 1 };
    if ((v->size == 1 || v->size == 2 || v->size == 4 || v->size == 8) && v->addr % v->size == 0) {
        v->cells = malloc(sizeof *v->cells);
        if (!v->cells)
            return false;
        v->cells[0] = (cw_race_cell){ 0, (uint8_t)v->size };
        v->ncells = 1;
        v->period = 0;
        v->nwords = 1;
    } else {
        v->cells = &one_byte;
        v->ncells = 1;
        v->period = 1;
        v->nwords = v->size;
    }
    return true;
}

static int by_addr(const void *a, const void *b)
{
    const cw_race_var *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr ? 1 : (x->size > y->size ? -1 : x->size < y->size);
}

typedef struct image {
    const unsigned char *base;
    size_t size;
    const Elf64_Shdr *sh;
    size_t nsh;
    const char *shstr;
    uint64_t shstr_size;
} image;

static const char *section_name(const image *im, const Elf64_Shdr *sh)
{
    return im->shstr && sh->sh_name < im->shstr_size ? im->shstr + sh->sh_name : "";
}

static bool read_symbols(const image *im, uintptr_t bias, cw_race_vars *out, uint64_t *debug_info_size)
{
    const Elf64_Shdr *symtab = NULL;
    *debug_info_size = 0;
    for (size_t i = 0; i < im->nsh; i++) {
        if (im->sh[i].sh_type == SHT_SYMTAB)
            symtab = &im->sh[i];
        else if (im->sh[i].sh_type == SHT_DYNSYM && !symtab)
            symtab = &im->sh[i];
        if (strcmp(section_name(im, &im->sh[i]), ".debug_info") == 0)
            *debug_info_size = im->sh[i].sh_size;
    }
    if (!symtab || symtab->sh_link >= im->nsh || symtab->sh_entsize != sizeof(Elf64_Sym))
        return false;
    const Elf64_Shdr *strsh = &im->sh[symtab->sh_link];
    if (symtab->sh_offset + symtab->sh_size > im->size || strsh->sh_offset + strsh->sh_size > im->size)
        return false;
    const Elf64_Sym *syms = (const Elf64_Sym *)(im->base + symtab->sh_offset);
    const char *strs = (const char *)im->base + strsh->sh_offset;
    size_t nsyms = symtab->sh_size / sizeof(Elf64_Sym);

    cw_race_var *v = calloc(nsyms ? nsyms : 1, sizeof *v);
    if (!v)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < nsyms; i++) {
        const Elf64_Sym *s = &syms[i];
        if (ELF64_ST_TYPE(s->st_info) != STT_OBJECT || s->st_size == 0 || s->st_shndx == SHN_UNDEF ||
            s->st_shndx >= im->nsh || s->st_name >= strsh->sh_size)
            continue;
        const char *name = strs + s->st_name;
        if (!name[0] || strchr(name, '@') || runtime_symbol(name) ||
            !writable_data_section(&im->sh[s->st_shndx], section_name(im, &im->sh[s->st_shndx])))
            continue;
        cw_race_var *c = &v[n];
        c->name = strdup(name);
        c->link_addr = s->st_value;
        c->addr = bias + s->st_value;
        c->size = s->st_size;
        if (c->name && default_cells(c))
            n++;
    }
    /* Aliases (two names for one object): keep one, the larger. */
    qsort(v, n, sizeof *v, by_addr);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (kept == 0 || v[kept - 1].addr != v[i].addr)
            v[kept++] = v[i];
    out->v = v;
    out->n = kept;
    return kept > 0;
}

/* ---- DWARF (private libdw) ---------------------------------------------- */

typedef struct dw_api {
    __typeof__(dwarf_begin) *begin;
    __typeof__(dwarf_end) *end;
    __typeof__(dwarf_nextcu) *nextcu;
    __typeof__(dwarf_offdie) *offdie;
    __typeof__(dwarf_child) *child;
    __typeof__(dwarf_siblingof) *siblingof;
    __typeof__(dwarf_tag) *tag;
    __typeof__(dwarf_attr) *attr;
    __typeof__(dwarf_attr_integrate) *attr_integrate;
    __typeof__(dwarf_getlocation) *getlocation;
    __typeof__(dwarf_formref_die) *formref_die;
    __typeof__(dwarf_formudata) *formudata;
    __typeof__(dwarf_diename) *diename;
    __typeof__(dwarf_decl_file) *decl_file;
    __typeof__(dwarf_decl_line) *decl_line;
    __typeof__(dwarf_aggregate_size) *aggregate_size;
} dw_api;

static bool load_libdw(dw_api *dw)
{
    void *lib = dlopen("libdw.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return false;
#define SYM(field, name) (dw->field = (__typeof__(dw->field))dlsym(lib, name)) != NULL
    if (SYM(begin, "dwarf_begin") && SYM(end, "dwarf_end") && SYM(nextcu, "dwarf_nextcu") &&
        SYM(offdie, "dwarf_offdie") && SYM(child, "dwarf_child") && SYM(siblingof, "dwarf_siblingof") &&
        SYM(tag, "dwarf_tag") && SYM(attr, "dwarf_attr") && SYM(attr_integrate, "dwarf_attr_integrate") &&
        SYM(getlocation, "dwarf_getlocation") && SYM(formref_die, "dwarf_formref_die") &&
        SYM(formudata, "dwarf_formudata") && SYM(diename, "dwarf_diename") &&
        SYM(decl_file, "dwarf_decl_file") && SYM(decl_line, "dwarf_decl_line") &&
        SYM(aggregate_size, "dwarf_aggregate_size"))
        return true;
#undef SYM
    dlclose(lib);
    return false;
}

static bool type_of(const dw_api *dw, Dwarf_Die *die, Dwarf_Die *out)
{
    Dwarf_Attribute a;
    return dw->attr_integrate(die, DW_AT_type, &a) && dw->formref_die(&a, out);
}

static bool sync_typedef(const char *name)
{
    static const char *const names[] = {
        "pthread_mutex_t", "pthread_rwlock_t", "pthread_cond_t", "pthread_barrier_t",
        "pthread_spinlock_t", "pthread_once_t", "sem_t", "mtx_t", "cnd_t", "once_flag",
        "__gthread_mutex_t", "__gthread_recursive_mutex_t", "__gthread_cond_t",
    };
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

static bool atomic_class(const char *name)
{
    return name && (strncmp(name, "atomic<", 7) == 0 || strncmp(name, "__atomic_base<", 14) == 0 ||
                    strncmp(name, "__atomic_float<", 15) == 0 || strcmp(name, "atomic_flag") == 0 ||
                    strcmp(name, "__atomic_flag_base") == 0);
}

static bool member_offset(const dw_api *dw, Dwarf_Die *m, Dwarf_Word *off)
{
    Dwarf_Attribute a;
    *off = 0;
    if (!dw->attr(m, DW_AT_data_member_location, &a))
        return true;   /* union members */
    if (dw->formudata(&a, off) == 0)
        return true;
    Dwarf_Op *ops;
    size_t nops;
    if (dw->getlocation(&a, &ops, &nops) == 0 && nops == 1 && ops[0].atom == DW_OP_plus_uconst) {
        *off = ops[0].number;
        return true;
    }
    return false;
}

/* A variable of an atomic type (C11 _Atomic, std::atomic) was seen. */
static bool saw_atomic_type;

typedef struct cell_list {
    cw_race_cell c[CW_RACE_MAX_CELLS];
    unsigned n;
    bool full;
} cell_list;

static void push_cell(cell_list *l, uint64_t off, unsigned len)
{
    if (l->n > 0 && off < (uint64_t)l->c[l->n - 1].off + l->c[l->n - 1].len)
        return;   /* bitfields sharing a byte */
    if (l->n == CW_RACE_MAX_CELLS || off > UINT32_MAX) {
        l->full = true;
        return;
    }
    l->c[l->n++] = (cw_race_cell){ (uint32_t)off, (uint8_t)len };
}

/* A scalar of `size` bytes at `off`: one cell, or several (long double,
 * _Complex) of 8 bytes, or bytes. */
static void push_scalar(cell_list *l, uint64_t off, uint64_t size)
{
    if (size == 1 || size == 2 || size == 4 || size == 8) {
        push_cell(l, off, (unsigned)size);
    } else if (size % 8 == 0) {
        for (uint64_t i = 0; i < size && !l->full; i += 8)
            push_cell(l, off + i, 8);
    } else {
        for (uint64_t i = 0; i < size && !l->full; i++)
            push_cell(l, off + i, 1);
    }
}

static bool has(const dw_api *dw, Dwarf_Die *die, unsigned name)
{
    Dwarf_Attribute a;
    return dw->attr(die, name, &a) != NULL;
}

/* The scalars of `type` placed at `off`, in address order, without those
 * inside synchronisation objects and atomics. */
static void collect_cells(const dw_api *dw, Dwarf_Die *type, uint64_t off, cell_list *l, int depth)
{
    Dwarf_Die cur = *type, next;
    for (int guard = 0; guard < 64 && !l->full; guard++) {
        switch (dw->tag(&cur)) {
        case DW_TAG_typedef:
            if (sync_typedef(dw->diename(&cur)) || !type_of(dw, &cur, &next))
                return;
            cur = next;
            continue;
        case DW_TAG_const_type:
        case DW_TAG_volatile_type:
        case DW_TAG_restrict_type:
            if (!type_of(dw, &cur, &next))
                return;
            cur = next;
            continue;
        case DW_TAG_atomic_type:
            saw_atomic_type = true;
            return;
        case DW_TAG_array_type: {
            Dwarf_Word esize, total;
            if (!type_of(dw, &cur, &next) || dw->aggregate_size(&next, &esize) != 0 || esize == 0 ||
                dw->aggregate_size(&cur, &total) != 0 || depth >= MAX_DEPTH)
                return;
            for (Dwarf_Word i = 0; i < total / esize && !l->full; i++)
                collect_cells(dw, &next, off + i * esize, l, depth + 1);
            return;
        }
        case DW_TAG_structure_type:
        case DW_TAG_class_type:
        case DW_TAG_union_type: {
            if (atomic_class(dw->diename(&cur))) {
                saw_atomic_type = true;
                return;
            }
            if (depth >= MAX_DEPTH)
                return;
            bool is_union = dw->tag(&cur) == DW_TAG_union_type;
            Dwarf_Die m, biggest;
            Dwarf_Word biggest_size = 0;
            memset(&biggest, 0, sizeof biggest);
            if (dw->child(&cur, &m) != 0)
                return;
            do {
                int tag = dw->tag(&m);
                if ((tag != DW_TAG_member && tag != DW_TAG_inheritance) || has(dw, &m, DW_AT_declaration))
                    continue;
                Dwarf_Word moff, msize;
                Dwarf_Die mtype;
                if (!member_offset(dw, &m, &moff) || !type_of(dw, &m, &mtype) ||
                    dw->aggregate_size(&mtype, &msize) != 0)
                    continue;
                if (is_union) {
                    /* Members overlap: the largest one stands for all. */
                    if (msize > biggest_size) {
                        biggest_size = msize;
                        biggest = mtype;
                    }
                } else if (has(dw, &m, DW_AT_bit_size)) {
                    /* A bitfield: the bytes of its storage unit. */
                    for (Dwarf_Word i = 0; i < msize && !l->full; i++)
                        push_cell(l, off + moff + i, 1);
                } else {
                    collect_cells(dw, &mtype, off + moff, l, depth + 1);
                }
            } while (!l->full && dw->siblingof(&m, &m) == 0);
            if (is_union && biggest_size)
                collect_cells(dw, &biggest, off, l, depth + 1);
            return;
        }
        default: {
            Dwarf_Word size;
            if (dw->aggregate_size(&cur, &size) == 0 && size > 0)
                push_scalar(l, off, size);
            return;
        }
        }
    }
}

/* The variable's cells from its type: an array's element cells repeat. */
static void typed_cells(const dw_api *dw, cw_race_var *v, Dwarf_Die *type)
{
    Dwarf_Die t = *type, next;
    while ((dw->tag(&t) == DW_TAG_typedef && !sync_typedef(dw->diename(&t))) || dw->tag(&t) == DW_TAG_const_type ||
           dw->tag(&t) == DW_TAG_volatile_type) {
        if (!type_of(dw, &t, &next))
            return;
        t = next;
    }
    cell_list l = { .n = 0, .full = false };
    uint64_t period = 0;
    Dwarf_Word esize;
    if (dw->tag(&t) == DW_TAG_array_type && type_of(dw, &t, &next) && dw->aggregate_size(&next, &esize) == 0 &&
        esize > 0 && v->size % esize == 0) {
        collect_cells(dw, &next, 0, &l, 0);
        if (!l.full)
            period = esize;
    }
    if (!period) {
        l = (cell_list){ .n = 0, .full = false };
        collect_cells(dw, type, 0, &l, 0);
    }
    cw_race_cell *cells = malloc((l.n ? l.n : 1) * sizeof *cells);
    if (!cells)
        return;
    for (unsigned i = 0; i < l.n; i++) {
        cells[i] = l.c[i];
        if ((v->addr + cells[i].off) % cells[i].len != 0)
            cells[i].len = 1;   /* a packed scalar: its first byte */
    }
    if (v->period != 1 && v->cells)
        free(v->cells);
    v->cells = cells;
    v->ncells = l.n;
    v->period = period;
    v->nwords = l.n == 0 ? 0 : period ? l.n * (v->size / period) : l.n;
}

/* A pointer variable: what it points to, when that is data with scalars
 * (not a function, not void, not char: strings are mostly read only). */
static void pointee_of(const dw_api *dw, cw_race_var *v, Dwarf_Die *type)
{
    Dwarf_Die t = *type, next;
    for (int guard = 0; guard < 16 && (dw->tag(&t) == DW_TAG_typedef || dw->tag(&t) == DW_TAG_const_type ||
                                       dw->tag(&t) == DW_TAG_volatile_type);
         guard++) {
        if (!type_of(dw, &t, &next))
            return;
        t = next;
    }
    if (dw->tag(&t) != DW_TAG_pointer_type || v->size != 8 || !type_of(dw, &t, &next))
        return;   /* not a pointer, or a void * */
    Dwarf_Die pt = next;
    for (int guard = 0; guard < 16 && (dw->tag(&pt) == DW_TAG_typedef || dw->tag(&pt) == DW_TAG_const_type ||
                                       dw->tag(&pt) == DW_TAG_volatile_type);
         guard++) {
        if (sync_typedef(dw->diename(&pt)) || !type_of(dw, &pt, &next))
            return;
        pt = next;
    }
    int tag = dw->tag(&pt);
    Dwarf_Word size;
    if ((tag != DW_TAG_structure_type && tag != DW_TAG_base_type && tag != DW_TAG_union_type) ||
        dw->aggregate_size(&pt, &size) != 0 || size == 0 || size > 4096)
        return;
    if (tag == DW_TAG_base_type && size == 1)
        return;   /* char * */
    cell_list l = { .n = 0, .full = false };
    collect_cells(dw, &pt, 0, &l, 0);
    if (l.n == 0)
        return;
    cw_race_cell *cells = malloc(l.n * sizeof *cells);
    if (!cells)
        return;
    memcpy(cells, l.c, l.n * sizeof *cells);
    v->pointee_cells = cells;
    v->pointee_ncells = l.n;
    v->pointee_size = size;
}

static cw_race_var *find_var(cw_race_vars *vars, uint64_t link_addr)
{
    size_t lo = 0, hi = vars->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (vars->v[mid].link_addr < link_addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < vars->n && vars->v[lo].link_addr == link_addr ? &vars->v[lo] : NULL;
}

static void visit_variable(const dw_api *dw, cw_race_vars *vars, Dwarf_Die *die)
{
    Dwarf_Attribute a;
    Dwarf_Op *ops;
    size_t nops;
    if (!dw->attr(die, DW_AT_location, &a) || dw->getlocation(&a, &ops, &nops) != 0 || nops != 1 ||
        ops[0].atom != DW_OP_addr)
        return;
    cw_race_var *v = find_var(vars, ops[0].number);
    if (!v || v->decl_file)
        return;
    /* The name as written (a static local's symbol is `calls.0`). */
    const char *name = dw->diename(die);
    if (name && strcmp(name, v->name) != 0) {
        char *copy = strdup(name);
        if (copy)
            v->name = copy;
    }
    const char *file = dw->decl_file(die);
    int line = 0;
    if (file && dw->decl_line(die, &line) == 0) {
        v->decl_file = strdup(file);
        v->decl_line = line;
    }
    Dwarf_Die type;
    if (type_of(dw, die, &type)) {
        typed_cells(dw, v, &type);
        pointee_of(dw, v, &type);
    }
}

static void read_dwarf(const char *path, cw_race_vars *vars)
{
    dw_api dw;
    if (!load_libdw(&dw))
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    Dwarf *dbg = dw.begin(fd, DWARF_C_READ);
    if (!dbg) {
        close(fd);
        return;
    }
    vars->have_dwarf = true;
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dw.nextcu(dbg, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die stack[MAX_DEPTH];
        int depth = 0;
        if (dw.offdie(dbg, off + hsize, &stack[0]) && dw.child(&stack[0], &stack[0]) == 0) {
            depth = 1;
            while (depth > 0) {
                Dwarf_Die *d = &stack[depth - 1];
                int tag = dw.tag(d);
                if (tag == DW_TAG_variable)
                    visit_variable(&dw, vars, d);
                /* Static locals live inside functions and blocks. */
                if ((tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block || tag == DW_TAG_namespace ||
                     tag == DW_TAG_module) && depth < MAX_DEPTH && dw.child(d, &stack[depth]) == 0) {
                    depth++;
                    continue;
                }
                while (depth > 0 && dw.siblingof(&stack[depth - 1], &stack[depth - 1]) != 0)
                    depth--;
            }
        }
        off = next;
    }
    dw.end(dbg);
    close(fd);
}

/* ---- variables some code accesses atomically --------------------------- */

typedef struct atomic_scan {
    cw_race_vars *vars;
    unsigned dropped;
} atomic_scan;

/* A hand-made lock or an atomic counter: the cells it overlaps are
 * synchronisation, whatever their type says. */
static void drop_atomic_target(uint64_t target, unsigned size, void *arg)
{
    atomic_scan *scan = arg;
    cw_race_vars *vars = scan->vars;
    size_t lo = 0, hi = vars->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (vars->v[mid].link_addr + vars->v[mid].size <= target)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == vars->n || vars->v[lo].link_addr > target)
        return;
    cw_race_var *v = &vars->v[lo];
    if (v->nwords == 0)
        return;
    if (v->period == 1) {
        v->nwords = 0;   /* watched bytewise (no type): the whole object goes */
        scan->dropped++;
        return;
    }
    uint64_t off = target - v->link_addr, end = off + size;
    if (v->period) {
        off %= v->period;
        end = off + size;
    }
    unsigned kept = 0;
    for (unsigned i = 0; i < v->ncells; i++) {
        uint64_t a = v->cells[i].off, b = a + v->cells[i].len;
        if (b <= off || a >= end)
            v->cells[kept++] = v->cells[i];
        else
            scan->dropped++;
    }
    v->ncells = kept;
    v->nwords = kept == 0 ? 0 : v->period ? kept * (v->size / v->period) : kept;
}

/* Function starts in the image (link-time addresses): every STT_FUNC
 * symbol, and every FDE of .eh_frame_hdr's search table (present in
 * stripped binaries too).  The scan decodes forward from each.  malloc'd;
 * NULL when there are none. */
static uint64_t *code_starts(const image *im, size_t *n)
{
    size_t cap = 0;
    const Elf64_Shdr *hdr = NULL;
    for (size_t i = 0; i < im->nsh; i++) {
        const Elf64_Shdr *sh = &im->sh[i];
        if ((sh->sh_type == SHT_SYMTAB || sh->sh_type == SHT_DYNSYM) && sh->sh_entsize == sizeof(Elf64_Sym) &&
            sh->sh_offset + sh->sh_size <= im->size)
            cap += sh->sh_size / sizeof(Elf64_Sym);
        if (strcmp(section_name(im, sh), ".eh_frame_hdr") == 0 && sh->sh_type == SHT_PROGBITS && sh->sh_size >= 12 &&
            sh->sh_offset + sh->sh_size <= im->size)
            hdr = sh;
    }
    /* .eh_frame_hdr: version 1, encodings, eh_frame_ptr, fde_count, then
     * (initial location, FDE) pairs; GNU ld writes the count as udata4 and
     * the table as datarel sdata4 (relative to the header). */
    const uint8_t *h = hdr ? im->base + hdr->sh_offset : NULL;
    uint32_t nfde = 0;
    if (h && h[0] == 1 && (h[1] & 0x0f) == 0x0b && h[2] == 0x03 && h[3] == 0x3b) {
        memcpy(&nfde, h + 8, 4);
        if (12 + (uint64_t)nfde * 8 > hdr->sh_size)
            nfde = 0;
    }
    cap += nfde;
    uint64_t *out = cap ? malloc(cap * sizeof *out) : NULL;
    size_t k = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < im->nsh; i++) {
        const Elf64_Shdr *sh = &im->sh[i];
        if ((sh->sh_type != SHT_SYMTAB && sh->sh_type != SHT_DYNSYM) || sh->sh_entsize != sizeof(Elf64_Sym) ||
            sh->sh_offset + sh->sh_size > im->size)
            continue;
        const Elf64_Sym *syms = (const Elf64_Sym *)(im->base + sh->sh_offset);
        for (size_t j = 0; j < sh->sh_size / sizeof(Elf64_Sym) && k < cap; j++)
            if (ELF64_ST_TYPE(syms[j].st_info) == STT_FUNC && syms[j].st_shndx != SHN_UNDEF && syms[j].st_value)
                out[k++] = syms[j].st_value;
    }
    for (uint32_t j = 0; j < nfde && k < cap; j++) {
        int32_t rel;
        memcpy(&rel, h + 12 + (size_t)j * 8, 4);
        out[k++] = hdr->sh_addr + (uint64_t)(int64_t)rel;
    }
    *n = k;
    return out;
}

/* Every executable section, decoded forward from the function starts
 * (access_insn.h): the variables some code accesses atomically lose those
 * cells; *any_atomic tells whether the code has atomic instructions at
 * all.  False without the decoder. */
static bool scan_atomic_accesses(const image *im, cw_race_vars *vars, bool *any_atomic)
{
    atomic_scan scan = { vars, 0 };
    size_t nstarts = 0;
    uint64_t *starts = code_starts(im, &nstarts);
    bool ok = true;
    for (size_t i = 0; i < im->nsh && ok; i++) {
        const Elf64_Shdr *sh = &im->sh[i];
        if (sh->sh_type == SHT_PROGBITS && (sh->sh_flags & SHF_EXECINSTR) && sh->sh_offset + sh->sh_size <= im->size &&
            sh->sh_size <= (64u << 20))
            ok = cw_insn_scan_atomic_targets(im->base + sh->sh_offset, sh->sh_size, sh->sh_addr, starts, nstarts,
                                             drop_atomic_target, &scan, any_atomic);
    }
    free(starts);
    return ok;
}

/* ---- synchronisation the shim does not see ------------------------------ */

/* Why the program may order its threads' accesses in ways the shim cannot
 * see (access_history.h): its code has atomic read-modify-writes (hand-made
 * locks, reference counts), its variables atomic types (flags with acquire
 * and release accesses, plain moves on x86), or it takes C++ guarded statics
 * or C11 thread primitives the shim does not intercept.  NULL: none seen. */
static const char *unseen_sync_of(const image *im, bool decoded, bool any_atomic)
{
    if (saw_atomic_type)
        return "the program has variables of atomic types";
    for (size_t i = 0; i < im->nsh; i++) {
        const Elf64_Shdr *sh = &im->sh[i];
        if (sh->sh_type == SHT_DYNSYM && sh->sh_link < im->nsh && sh->sh_entsize == sizeof(Elf64_Sym) &&
            sh->sh_offset + sh->sh_size <= im->size) {
            const Elf64_Shdr *str = &im->sh[sh->sh_link];
            const Elf64_Sym *syms = (const Elf64_Sym *)(im->base + sh->sh_offset);
            for (size_t k = 0; k < sh->sh_size / sizeof(Elf64_Sym); k++) {
                if (syms[k].st_name >= str->sh_size || str->sh_offset + str->sh_size > im->size)
                    continue;
                const char *name = (const char *)im->base + str->sh_offset + syms[k].st_name;
                if (strcmp(name, "__cxa_guard_acquire") == 0)
                    return "the program initialises C++ static locals (guarded by means the shim does not see)";
                if (strcmp(name, "mtx_lock") == 0 || strcmp(name, "cnd_wait") == 0 || strcmp(name, "call_once") == 0)
                    return "the program uses C11 thread primitives the shim does not intercept";
            }
        }
    }
    if (!decoded)
        return "no instruction decoder (libzydis4.0) to tell the program's atomic accesses";
    if (any_atomic)
        return "the program's code has atomic instructions (hand-made locks, reference counts)";
    return NULL;
}

/* ---- loading ------------------------------------------------------------ */

bool cw_race_vars_load(cw_race_vars *out)
{
    memset(out, 0, sizeof *out);
    static char path[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", path, sizeof path - 1);
    if (len <= 0)
        return false;
    path[len] = '\0';
    out->module = path;
    uintptr_t bias = cw_code_map_executable_bias();

    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(Elf64_Ehdr))
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return false;

    bool ok = false;
    uint64_t debug_info = 0;
    const Elf64_Ehdr *eh = map;
    image im = { .base = map, .size = (size_t)st.st_size };
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
        eh->e_shentsize == sizeof(Elf64_Shdr) && eh->e_shnum > 0 &&
        eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) <= im.size) {
        im.sh = (const Elf64_Shdr *)(im.base + eh->e_shoff);
        im.nsh = eh->e_shnum;
        if (eh->e_shstrndx < im.nsh && im.sh[eh->e_shstrndx].sh_offset + im.sh[eh->e_shstrndx].sh_size <= im.size)
        {
            im.shstr = (const char *)im.base + im.sh[eh->e_shstrndx].sh_offset;
            im.shstr_size = im.sh[eh->e_shstrndx].sh_size;
        }
        ok = read_symbols(&im, bias, out, &debug_info);
    }
    if (ok && debug_info > 0 && debug_info <= MAX_DEBUG_INFO)
        read_dwarf(path, out);
    if (ok) {
        bool any_atomic = false;
        bool decoded = scan_atomic_accesses(&im, out, &any_atomic);
        out->unseen_sync = unseen_sync_of(&im, decoded, any_atomic);
    }
    munmap(map, (size_t)st.st_size);
    return ok;
}

/* The writable mapping holding addr: its end, 0 if none (read in the
 * sampler thread: stdio is fine there); *brk_heap (if given): whether it is
 * the [heap] mapping (malloc's main arena). */
static uintptr_t writable_mapping_end_in(uintptr_t addr, bool *brk_heap)
{
    if (brk_heap)
        *brk_heap = false;
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return 0;
    char line[512];
    uintptr_t end = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
            continue;
        if (addr >= lo && addr < hi) {
            if (perms[0] == 'r' && perms[1] == 'w' && perms[3] == 'p')
                end = hi;
            if (end && brk_heap)
                *brk_heap = strstr(line, "[heap]") != NULL;
            break;
        }
    }
    fclose(f);
    return end;
}

static uintptr_t writable_mapping_end(uintptr_t addr)
{
    return writable_mapping_end_in(addr, NULL);
}

/* malloc's block at p: its chunk header says its size, which must fit the
 * mapping; then malloc_usable_size is safe to ask (read in the sampler
 * thread). */
static size_t heap_block_size(uintptr_t p)
{
    if (p < 4096 || (p & 15))
        return 0;
    uintptr_t end = writable_mapping_end(p);
    if (!end || writable_mapping_end(p - 16) != end)
        return 0;   /* the header must be in the same mapping */
    uint64_t header = *(const volatile uint64_t *)(p - 8);
    uint64_t chunk = header & ~7ull;
    /* (The next chunk's header, which malloc_usable_size reads, too.) */
    if (chunk < 32 || (chunk & 15) || chunk > (1ull << 30) || p - 16 + chunk + 16 > end)
        return 0;
    size_t usable = malloc_usable_size((void *)p);
    return usable <= chunk ? usable : 0;
}

bool cw_race_var_for_pointee(const cw_race_var *ptr, uintptr_t block, cw_race_var *out, char *name, size_t name_len)
{
    if (!ptr->pointee_ncells || !block)
        return false;
    size_t usable = heap_block_size(block);
    if (usable < ptr->pointee_size)
        return false;
    uint64_t count = usable / ptr->pointee_size;
    if (count > 64)
        count = 64;
    snprintf(name, name_len, "*%s", ptr->name);
    *out = (cw_race_var){
        .name = name, .addr = block, .size = count * ptr->pointee_size, .cells = ptr->pointee_cells,
        .ncells = ptr->pointee_ncells, .period = ptr->pointee_size, .nwords = ptr->pointee_ncells * count,
    };
    return true;
}

bool cw_race_var_for_arg(uintptr_t arg, const cw_race_vars *known, cw_race_var *out, cw_race_cell *cells,
                         char *name, size_t name_len)
{
    if (arg < 4096 || (arg & 3))
        return false;   /* an integer in disguise, or not a struct's start */
    for (size_t i = 0; known && i < known->n; i++)
        if (arg >= known->v[i].addr && arg < known->v[i].addr + (known->v[i].size ? known->v[i].size : 1))
            return false;
    bool brk_heap;
    uintptr_t end = writable_mapping_end_in(arg, &brk_heap);
    if (!end)
        return false;
    uint64_t size = end - arg < CW_RACE_ARG_BYTES ? end - arg : CW_RACE_ARG_BYTES;
    /* A malloc block: its bytes only.  The rest is another block or free
     * memory, and every cell watched there takes turns away from the
     * object's own (the hardware backend watches 4 words at once: a 16-byte
     * struct's balance had one turn in four among 16 cells).  Blocks of the
     * main arena only ([heap]): elsewhere the bytes before arg are no chunk
     * header to trust. */
    size_t block = brk_heap ? heap_block_size(arg) : 0;   /* (a stack's bytes are no chunk header) */
    if (block && block < size)
        size = block;
    unsigned n = 0;
    for (uint64_t off = 0; off < size && n < CW_RACE_ARG_CELLS; off += 4)
        cells[n++] = (cw_race_cell){ .off = (uint32_t)off, .len = 1 };
    if (n == 0)
        return false;
    snprintf(name, name_len, "*arg");
    *out = (cw_race_var){
        .name = name, .addr = arg, .size = size, .cells = cells, .ncells = n, .nwords = n,
    };
    return true;
}

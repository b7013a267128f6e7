#define _GNU_SOURCE
#include "race_candidates.h"

#include <dlfcn.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <dwarf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEBUG_INFO (64u << 20)   /* larger DWARF is not walked (start-up time) */
#define MAX_DEPTH 64

/* ---- the executable's load bias ----------------------------------------- */

static int first_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    *(uintptr_t *)arg = info->dlpi_addr;
    return 1;   /* the first object is the executable */
}

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

static void set_geometry(cw_race_var *v)
{
    static const unsigned lens[] = { 8, 4, 2, 1 };
    for (size_t i = 0; i < 4; i++) {
        unsigned len = lens[i];
        uint64_t first = (v->addr + len - 1) & ~(uint64_t)(len - 1);
        if (first + len <= v->addr + v->size) {
            v->word_len = len;
            v->first_word = first;
            v->nwords = (v->addr + v->size - first) / len;
            return;
        }
    }
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
        set_geometry(c);
        if (c->name && c->nwords)
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

/* Is the byte at `off` inside `type` part of a synchronisation object or an atomic? */
static bool skip_byte(const dw_api *dw, Dwarf_Die *type, Dwarf_Word off, int depth)
{
    Dwarf_Die cur = *type, next;
    for (int guard = 0; guard < 64; guard++) {
        switch (dw->tag(&cur)) {
        case DW_TAG_typedef:
            if (sync_typedef(dw->diename(&cur)))
                return true;
            if (!type_of(dw, &cur, &next))
                return false;
            cur = next;
            continue;
        case DW_TAG_const_type:
        case DW_TAG_volatile_type:
        case DW_TAG_restrict_type:
            if (!type_of(dw, &cur, &next))
                return false;
            cur = next;
            continue;
        case DW_TAG_atomic_type:
            return true;
        case DW_TAG_array_type: {
            Dwarf_Word esize;
            if (!type_of(dw, &cur, &next) || dw->aggregate_size(&next, &esize) != 0 || esize == 0)
                return false;
            off %= esize;
            cur = next;
            continue;
        }
        case DW_TAG_structure_type:
        case DW_TAG_class_type:
        case DW_TAG_union_type: {
            if (atomic_class(dw->diename(&cur)))
                return true;
            if (depth >= MAX_DEPTH)
                return false;
            Dwarf_Die m;
            if (dw->child(&cur, &m) != 0)
                return false;
            do {
                int tag = dw->tag(&m);
                if (tag != DW_TAG_member && tag != DW_TAG_inheritance)
                    continue;
                Dwarf_Word moff, msize;
                Dwarf_Die mtype;
                if (!member_offset(dw, &m, &moff) || !type_of(dw, &m, &mtype) ||
                    dw->aggregate_size(&mtype, &msize) != 0)
                    continue;
                if (off >= moff && off < moff + msize && skip_byte(dw, &mtype, off - moff, depth + 1))
                    return true;
            } while (dw->siblingof(&m, &m) == 0);
            return false;
        }
        default:
            return false;
        }
    }
    return false;
}

static void classify_words(const dw_api *dw, cw_race_var *v, Dwarf_Die *type)
{
    uint64_t base = v->first_word - v->addr;
    uint64_t n = v->nwords;
    /* An array whose element is a whole number of words repeats its pattern. */
    Dwarf_Die t = *type, next;
    while ((dw->tag(&t) == DW_TAG_typedef && !sync_typedef(dw->diename(&t))) ||
           dw->tag(&t) == DW_TAG_const_type || dw->tag(&t) == DW_TAG_volatile_type) {
        if (!type_of(dw, &t, &next))
            break;
        t = next;
    }
    Dwarf_Word esize;
    if (dw->tag(&t) == DW_TAG_array_type && type_of(dw, &t, &next) && dw->aggregate_size(&next, &esize) == 0 &&
        esize && esize % v->word_len == 0 && esize / v->word_len <= 64 && base == 0 && n > 64) {
        v->skip_period = (unsigned)(esize / v->word_len);
        n = v->skip_period;
    }
    if (n > 64)
        n = 64;
    for (uint64_t k = 0; k < n; k++)
        for (unsigned b = 0; b < v->word_len; b++)
            if (skip_byte(dw, type, base + k * v->word_len + b, 0)) {
                v->skip |= 1ull << k;
                break;
            }
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
    const char *file = dw->decl_file(die);
    int line = 0;
    if (file && dw->decl_line(die, &line) == 0) {
        v->decl_file = strdup(file);
        v->decl_line = line;
    }
    Dwarf_Die type;
    if (type_of(dw, die, &type))
        classify_words(dw, v, &type);
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
    uintptr_t bias = 0;
    dl_iterate_phdr(first_object, &bias);

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
    munmap(map, (size_t)st.st_size);
    if (ok && debug_info > 0 && debug_info <= MAX_DEBUG_INFO)
        read_dwarf(path, out);
    return ok;
}

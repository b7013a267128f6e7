/* Native frame symbolization with libdwfl; see symbolizer.h. */
#define _GNU_SOURCE
#include "symbolizer.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Deeper inline chains than this are cut (the outer calls are dropped). */
#define MAX_INLINE_DEPTH 32

typedef struct module_entry {
    char *path;
    Dwfl_Module *mod;        /* NULL: could not be opened; don't try again */
    GElf_Addr bias;          /* Dwfl address = ELF vaddr + bias (0 in practice) */
    bool names_only;         /* the C runtime: function names, no file:line */
} module_entry;

struct cw_symbolizer {
    Dwfl *dwfl;
    module_entry *modules;
    size_t nmodules;
};

/* One symbolized call: several for one address when calls were inlined. */
typedef struct location {
    const char *function;    /* owned by libdw, valid while the Dwfl lives */
    const char *file;
    int line;
} location;

/* NULL means libdwfl's default search path (".debug", "/usr/lib/debug", ...). */
static char *debuginfo_path;

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

cw_symbolizer *cw_symbolizer_new(void)
{
    cw_symbolizer *sym = cw_xcalloc(1, sizeof *sym);
    sym->dwfl = dwfl_begin(&offline_callbacks);
    return sym;                /* a NULL dwfl just means nothing symbolizes */
}

void cw_symbolizer_free(cw_symbolizer *sym)
{
    if (!sym)
        return;
    for (size_t i = 0; i < sym->nmodules; i++)
        free(sym->modules[i].path);
    free(sym->modules);
    if (sym->dwfl)
        dwfl_end(sym->dwfl);
    free(sym);
}

/* Reports the module at bias 0: addresses are already image-relative.  All
   modules overlap in the Dwfl's address space, which is harmless because we
   always go through the Dwfl_Module, never dwfl_addrmodule(). */
static void open_module(cw_symbolizer *sym, module_entry *m)
{
    if (!sym->dwfl)
        return;
    dwfl_report_begin_add(sym->dwfl);
    m->mod = dwfl_report_elf(sym->dwfl, m->path, m->path, -1, 0, false);
    dwfl_report_end(sym->dwfl, NULL, NULL);
    if (m->mod) {
        Dwarf_Addr bias = 0;
        if (dwfl_module_getelf(m->mod, &bias) == NULL)
            m->mod = NULL;
        m->bias = bias;
    }
}

/* The C library and the dynamic loader: nearly every stack ends in them
   (start_thread, clone3) or waits in them (futex).  Their names come from the
   symbol table; their DWARF (libc6-dbg, compressed) would cost ~50 ms to load
   for file:line pairs of glibc's build tree, not of the user's. */
static bool is_c_runtime(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    static const char *const prefixes[] = { "libc.so.", "libpthread.so.", "ld-linux", "ld-musl" };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(base, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

static module_entry *find_module(cw_symbolizer *sym, const char *path)
{
    for (size_t i = 0; i < sym->nmodules; i++)
        if (strcmp(sym->modules[i].path, path) == 0)
            return &sym->modules[i];
    module_entry *m = cw_array_push(&sym->modules, &sym->nmodules, sizeof *m);
    m->path = cw_xstrdup(path);
    m->names_only = is_c_runtime(path);
    open_module(sym, m);
    return m;
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    /* _integrate follows DW_AT_abstract_origin / DW_AT_specification, where
       inlined instances and out-of-line copies keep their name. */
    return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
}

/* The file and line an inlined call was made from (its call site). */
static void call_site(Dwarf_Die *cu, Dwarf_Die *inlined, location *loc)
{
    Dwarf_Attribute attr;
    Dwarf_Word file_index, line;
    Dwarf_Files *files;
    loc->file = NULL;
    loc->line = 0;
    if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attr), &line) == 0)
        loc->line = (int)line;
    if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attr), &file_index) == 0 &&
        dwarf_getsrcfiles(cu, &files, NULL) == 0)
        loc->file = dwarf_filesrc(files, file_index, NULL, NULL);
}

static bool is_function_scope(Dwarf_Die *die)
{
    int tag = dwarf_tag(die);
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine;
}

/*
 * Walks out from the innermost function scope containing dwarf_addr:
 * each inlined_subroutine is one call (at `here`), whose call site becomes the
 * location of the next, until the real subprogram.  Returns how many calls.
 */
static size_t inline_chain(Dwarf_Die *cu, Dwarf_Addr dwarf_addr, location here,
                           location out[MAX_INLINE_DEPTH])
{
    Dwarf_Die *scopes = NULL, *chain = NULL;
    size_t n = 0;
    int nscopes = dwarf_getscopes(cu, dwarf_addr, &scopes);
    int first = 0;
    while (first < nscopes && !is_function_scope(&scopes[first]))
        first++;
    /* dwarf_getscopes continues past an inlined instance into its abstract
       definition; the physical parents (the caller) come from _getscopes_die. */
    int nchain = first < nscopes ? dwarf_getscopes_die(&scopes[first], &chain) : 0;
    for (int i = 0; i < nchain && n < MAX_INLINE_DEPTH; i++) {
        int tag = dwarf_tag(&chain[i]);
        if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine)
            continue;
        out[n] = here;
        out[n].function = die_name(&chain[i]);
        n++;
        if (tag == DW_TAG_subprogram)
            break;
        call_site(cu, &chain[i], &here);
    }
    free(chain);
    free(scopes);
    return n;
}

/* Symbolizes one address of an opened module; returns the number of calls
   (innermost first), 0 if nothing at all is known about it. */
static size_t locate(module_entry *m, uint64_t vaddr, bool is_return,
                     location out[MAX_INLINE_DEPTH])
{
    GElf_Addr addr = vaddr + m->bias;
    if (is_return && addr > 0)
        addr--;                  /* the call instruction, not the one after it */

    location here = { NULL, NULL, 0 };
    if (m->names_only) {
        GElf_Off offset;
        GElf_Sym elf_sym;
        here.function = dwfl_module_addrinfo(m->mod, addr, &offset, &elf_sym, NULL, NULL, NULL);
        if (!here.function)
            return 0;
        out[0] = here;
        return 1;
    }
    Dwfl_Line *src = dwfl_module_getsrc(m->mod, addr);
    if (src)
        here.file = dwfl_lineinfo(src, NULL, &here.line, NULL, NULL, NULL);

    GElf_Off offset;
    GElf_Sym elf_sym;
    const char *symbol = dwfl_module_addrinfo(m->mod, addr, &offset, &elf_sym,
                                              NULL, NULL, NULL);
    size_t n = 0;
    Dwarf_Addr dwbias;
    Dwarf_Die *cu = dwfl_module_addrdie(m->mod, addr, &dwbias);
    if (cu)
        n = inline_chain(cu, addr - dwbias, here, out);
    if (n == 0 && (symbol || here.file)) {
        out[0] = here;
        n = 1;
    }
    /* No DWARF name (e.g. an assembler function): the ELF symbol is next best. */
    if (n > 0 && !out[n - 1].function)
        out[n - 1].function = symbol;
    return n;
}

static size_t locate_frame(cw_symbolizer *sym, const cw_frame *f,
                           location out[MAX_INLINE_DEPTH])
{
    if (f->is_python || !f->module || !f->module[0] || f->function || f->file)
        return 0;                /* nothing to do, or done already */
    module_entry *m = find_module(sym, f->module);
    return m->mod ? locate(m, f->vaddr, f->is_return, out) : 0;
}

static void fill(cw_frame *f, const location *loc)
{
    f->function = cw_xstrdup(loc->function);
    f->file = cw_xstrdup(loc->file);
    f->line = loc->line;
}

bool cw_symbolize_frame(cw_symbolizer *sym, cw_frame *frame)
{
    location locs[MAX_INLINE_DEPTH];
    size_t n = locate_frame(sym, frame, locs);
    if (n > 0)
        fill(frame, &locs[0]);
    return n > 0;
}

void cw_symbolize_frames(cw_symbolizer *sym, cw_frame **frames, size_t *n)
{
    cw_frame *out = NULL;
    size_t nout = 0;
    for (size_t i = 0; i < *n; i++) {
        cw_frame *in = &(*frames)[i];
        location locs[MAX_INLINE_DEPTH];
        size_t nlocs = locate_frame(sym, in, locs);
        if (nlocs == 0) {                 /* kept as is: move it over */
            *(cw_frame *)cw_array_push(&out, &nout, sizeof *out) = *in;
            continue;
        }
        for (size_t k = 0; k < nlocs; k++) {
            cw_frame *f = cw_array_push(&out, &nout, sizeof *out);
            f->module = cw_xstrdup(in->module);
            f->vaddr = in->vaddr;
            f->is_return = in->is_return;
            f->is_inlined = k + 1 < nlocs;
            fill(f, &locs[k]);
        }
        cw_frame_clear(in);
    }
    free(*frames);
    *frames = out;
    *n = nout;
}

void cw_symbolize_findings(cw_symbolizer *sym, cw_finding_list *list)
{
    for (size_t i = 0; i < list->n; i++) {
        cw_finding *f = &list->items[i];
        for (size_t s = 0; s < f->nstacks; s++)
            cw_symbolize_frames(sym, &f->stacks[s].frames, &f->stacks[s].nframes);
        for (size_t l = 0; l < f->nlocks; l++)
            cw_symbolize_frames(sym, &f->locks[l].frames, &f->locks[l].nframes);
    }
}

char *cw_symbolize_data(cw_symbolizer *sym, const char *module, uint64_t vaddr)
{
    module_entry *m = module && module[0] ? find_module(sym, module) : NULL;
    if (!m || !m->mod)
        return NULL;
    GElf_Off off;
    GElf_Sym elf_sym;
    const char *name = dwfl_module_addrinfo(m->mod, vaddr + m->bias, &off, &elf_sym, NULL, NULL, NULL);
    if (!name || GELF_ST_TYPE(elf_sym.st_info) != STT_OBJECT || off >= elf_sym.st_size)
        return NULL;
    if (!off)
        return cw_xstrdup(name);
    char *out = NULL;
    if (asprintf(&out, "%s+%llu", name, (unsigned long long)off) < 0)
        return NULL;
    return out;
}

struct Dwfl_Module *cw_symbolizer_module(cw_symbolizer *sym, const char *module, uint64_t *bias)
{
    module_entry *m = module && module[0] ? find_module(sym, module) : NULL;
    if (!m || !m->mod)
        return NULL;
    *bias = m->bias;
    return m->mod;
}

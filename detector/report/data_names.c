/* Names of data from DWARF; see data_names.h. */
#define _GNU_SOURCE
#include "data_names.h"

#include <ctype.h>
#include <dwarf.h>
#include <stdarg.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Types nested deeper than this are not followed (a cycle guard, too). */
#define MAX_DEPTH 16

/* ---- the static-storage index of a module ------------------------------ */

typedef struct indexed_var {
    Dwarf_Addr lo;           /* DWARF address */
    Dwarf_Word size;
    Dwarf_Off die;           /* the variable's DIE */
    char *name;              /* qualified: "ns::lock" */
    char *storage;           /* "global", "static", "static in f()" */
} indexed_var;

typedef struct module_index {
    char *module;
    Dwarf *dwarf;            /* NULL: no DWARF */
    Dwarf_Addr dwbias;       /* DWARF address = Dwfl address - dwbias */
    uint64_t bias;           /* Dwfl address = ELF vaddr + bias */
    indexed_var *vars;       /* sorted by lo */
    size_t nvars;
} module_index;

struct cw_data_names {
    cw_symbolizer *sym;
    module_index *modules;
    size_t nmodules;
};

cw_data_names *cw_data_names_new(cw_symbolizer *sym)
{
    cw_data_names *n = cw_xcalloc(1, sizeof *n);
    n->sym = sym;
    return n;
}

void cw_data_names_free(cw_data_names *names)
{
    if (!names)
        return;
    for (size_t i = 0; i < names->nmodules; i++) {
        module_index *m = &names->modules[i];
        for (size_t k = 0; k < m->nvars; k++) {
            free(m->vars[k].name);
            free(m->vars[k].storage);
        }
        free(m->vars);
        free(m->module);
    }
    free(names->modules);
    free(names);
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &attr));
}

static bool die_type(Dwarf_Die *die, Dwarf_Die *type)
{
    Dwarf_Attribute attr;
    return dwarf_formref_die(dwarf_attr_integrate(die, DW_AT_type, &attr), type) != NULL;
}

/* The fixed address of a variable (a location that is just DW_OP_addr). */
static bool fixed_address(Dwarf_Die *var, Dwarf_Addr *addr)
{
    Dwarf_Attribute attr;
    Dwarf_Op *ops;
    size_t nops;
    if (!dwarf_attr(var, DW_AT_location, &attr) || dwarf_getlocation(&attr, &ops, &nops) != 0 || nops != 1)
        return false;
    if (ops[0].atom == DW_OP_addr) {
        *addr = ops[0].number;
        return true;
    }
    if (ops[0].atom == DW_OP_addrx || ops[0].atom == DW_OP_GNU_addr_index) {
        Dwarf_Attribute result;
        return dwarf_getlocation_attr(&attr, &ops[0], &result) == 0 && dwarf_formaddr(&result, addr) == 0;
    }
    return false;
}

static Dwarf_Word type_size(Dwarf_Die *type)
{
    Dwarf_Word size;
    return dwarf_aggregate_size(type, &size) == 0 ? size : 0;
}

/* Walks a DIE tree collecting variables with a fixed address.  prefix is the
   C++ namespace path ("ns::"), function the enclosing function's name. */
static void collect(module_index *m, Dwarf_Die *parent, const char *prefix, const char *function, int depth)
{
    Dwarf_Die child;
    if (depth > MAX_DEPTH || dwarf_child(parent, &child) != 0)
        return;
    do {
        int tag = dwarf_tag(&child);
        const char *name = die_name(&child);
        if (tag == DW_TAG_variable && name && !dwarf_hasattr(&child, DW_AT_declaration)) {
            Dwarf_Addr lo;
            Dwarf_Die type;
            if (!fixed_address(&child, &lo) || !die_type(&child, &type))
                continue;
            indexed_var *v = cw_array_push(&m->vars, &m->nvars, sizeof *v);
            v->lo = lo;
            v->size = type_size(&type);
            v->die = dwarf_dieoffset(&child);
            if (asprintf(&v->name, "%s%s", prefix, name) < 0)
                v->name = cw_xstrdup(name);
            Dwarf_Attribute attr;
            bool is_external = false;
            if (dwarf_attr_integrate(&child, DW_AT_external, &attr))
                dwarf_formflag(&attr, &is_external);
            if (function) {
                if (asprintf(&v->storage, "static in %s()", function) < 0)
                    v->storage = cw_xstrdup("static");
            } else {
                v->storage = cw_xstrdup(is_external ? "global" : "static");
            }
        } else if (tag == DW_TAG_namespace) {
            char *inner;
            if (asprintf(&inner, "%s%s::", prefix, name ? name : "(anonymous namespace)") >= 0) {
                collect(m, &child, inner, function, depth + 1);
                free(inner);
            }
        } else if (tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block) {
            collect(m, &child, prefix, tag == DW_TAG_subprogram ? (name ? name : "?") : function, depth + 1);
        }
    } while (dwarf_siblingof(&child, &child) == 0);
}

static int by_address(const void *a, const void *b)
{
    const indexed_var *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static module_index *index_of(cw_data_names *names, const char *module)
{
    for (size_t i = 0; i < names->nmodules; i++)
        if (strcmp(names->modules[i].module, module) == 0)
            return &names->modules[i];
    module_index *m = cw_array_push(&names->modules, &names->nmodules, sizeof *m);
    m->module = cw_xstrdup(module);
    Dwfl_Module *mod = cw_symbolizer_module(names->sym, module, &m->bias);
    if (!mod)
        return m;
    m->dwarf = dwfl_module_getdwarf(mod, &m->dwbias);
    Dwarf_Die *cu = NULL;
    Dwarf_Addr cubias;
    while ((cu = dwfl_module_nextcu(mod, cu, &cubias)) != NULL)
        collect(m, cu, "", NULL, 0);
    if (m->nvars)
        qsort(m->vars, m->nvars, sizeof *m->vars, by_address);
    return m;
}

/* ---- member paths ------------------------------------------------------- */

typedef struct text {
    char buf[512];
    size_t len;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    if (t->len >= sizeof t->buf)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len = t->len + (size_t)n < sizeof t->buf ? t->len + (size_t)n : sizeof t->buf - 1;
}

/* Declared by the system (libc, libstdc++, the compiler): the program's
   names stop there (pthread_mutex_t's insides are glibc's). */
static bool from_system_header(Dwarf_Die *die)
{
    const char *file = dwarf_decl_file(die);
    return file && (strncmp(file, "/usr/include/", 13) == 0 || strncmp(file, "/usr/lib/gcc/", 13) == 0 ||
                    strncmp(file, "/usr/local/include/", 19) == 0);
}

static bool data_member_offset(Dwarf_Die *member, Dwarf_Word *off)
{
    Dwarf_Attribute attr;
    *off = 0;
    if (!dwarf_attr(member, DW_AT_data_member_location, &attr))
        return dwarf_tag(member) == DW_TAG_member;      /* union members: offset 0 */
    return dwarf_formudata(&attr, off) == 0;
}

/* The bounds of an array type's dimensions; returns how many. */
static int array_dims(Dwarf_Die *array, Dwarf_Word dims[4])
{
    Dwarf_Die child;
    int n = 0;
    if (dwarf_child(array, &child) != 0)
        return 0;
    do {
        if (dwarf_tag(&child) != DW_TAG_subrange_type || n == 4)
            continue;
        Dwarf_Attribute attr;
        Dwarf_Word v = 0;
        if (dwarf_formudata(dwarf_attr(&child, DW_AT_count, &attr), &v) == 0)
            dims[n++] = v;
        else if (dwarf_formudata(dwarf_attr(&child, DW_AT_upper_bound, &attr), &v) == 0)
            dims[n++] = v + 1;
        else
            dims[n++] = 0;                              /* flexible / unknown */
    } while (dwarf_siblingof(&child, &child) == 0);
    return n;
}

/* Appends ".member" / "[i]" steps down to the byte at off of an object of
   type (the variable's own type at the start). */
static void member_path(Dwarf_Die *type, Dwarf_Word off, text *out, int depth)
{
    Dwarf_Die t;
    if (depth > MAX_DEPTH || from_system_header(type) || dwarf_peel_type(type, &t) != 0 ||
        from_system_header(&t))
        return;
    int tag = dwarf_tag(&t);
    if (tag == DW_TAG_array_type) {
        Dwarf_Die elem;
        Dwarf_Word dims[4];
        int n = array_dims(&t, dims);
        if (!die_type(&t, &elem) || n == 0)
            return;
        Dwarf_Word esize = type_size(&elem);
        if (esize == 0)
            return;
        Dwarf_Word index = off / esize;
        /* Row-major: the last dimension varies fastest. */
        Dwarf_Word idx[4];
        for (int i = n - 1; i >= 0; i--) {
            Dwarf_Word d = dims[i] ? dims[i] : (Dwarf_Word)-1;
            idx[i] = i == 0 ? index : index % d;
            index = i == 0 ? 0 : index / d;
        }
        for (int i = 0; i < n; i++)
            put(out, "[%llu]", (unsigned long long)idx[i]);
        member_path(&elem, off % esize, out, depth + 1);
        return;
    }
    if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_class_type)
        return;
    Dwarf_Die m;
    if (dwarf_child(&t, &m) != 0)
        return;
    do {
        int mtag = dwarf_tag(&m);
        Dwarf_Die mtype;
        Dwarf_Word moff;
        if ((mtag != DW_TAG_member && mtag != DW_TAG_inheritance) || dwarf_hasattr(&m, DW_AT_bit_size) ||
            !die_type(&m, &mtype) || !data_member_offset(&m, &moff))
            continue;
        Dwarf_Word msize = type_size(&mtype);
        if (off < moff || off >= moff + (msize ? msize : 1))
            continue;
        const char *name = mtag == DW_TAG_member ? die_name(&m) : NULL;
        if (name)
            put(out, ".%s", name);
        member_path(&mtype, off - moff, out, depth + 1);
        return;
    } while (dwarf_siblingof(&m, &m) == 0);
}

void cw_static_data_clear(cw_static_data *d)
{
    free(d->expr);
    free(d->storage);
    free(d->decl_file);
    memset(d, 0, sizeof *d);
}

bool cw_static_data_name(cw_data_names *names, const char *module, uint64_t vaddr, cw_static_data *out)
{
    memset(out, 0, sizeof *out);
    if (!module || !module[0])
        return false;
    module_index *m = index_of(names, module);
    if (!m->dwarf || m->nvars == 0)
        return false;
    Dwarf_Addr addr = vaddr + m->bias - m->dwbias;
    /* The last variable starting at or below addr; an earlier one may still
       cover it only if it is larger, so look back over a few. */
    size_t lo = 0, hi = m->nvars;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->vars[mid].lo <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k-- > 0 && lo - k <= 64;) {
        indexed_var *v = &m->vars[k];
        if (addr >= v->lo + (v->size ? v->size : 1))
            continue;
        Dwarf_Die var, type;
        if (!dwarf_offdie(m->dwarf, v->die, &var) || !die_type(&var, &type))
            return false;
        text path = { .len = 0 };
        put(&path, "%s", v->name);
        member_path(&type, addr - v->lo, &path, 0);
        out->expr = cw_xstrdup(path.buf);
        out->storage = cw_xstrdup(v->storage);
        out->decl_file = cw_xstrdup(dwarf_decl_file(&var));
        dwarf_decl_line(&var, &out->decl_line);
        return true;
    }
    return false;
}

/* ---- access paths at a code address ------------------------------------ */

typedef enum { STEP_ARROW, STEP_DOT, STEP_INDEX } step_kind;

typedef struct step {
    step_kind kind;
    char name[128];
} step;

typedef struct parsed_path {
    char root[128];
    step steps[16];
    int nsteps;
} parsed_path;

static const char *skip_space(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

static const char *identifier(const char *p, char *out, size_t size)
{
    size_t n = 0;
    if (!isalpha((unsigned char)*p) && *p != '_')
        return NULL;
    while ((isalnum((unsigned char)*p) || *p == '_') && n + 1 < size)
        out[n++] = *p++;
    out[n] = '\0';
    return (isalnum((unsigned char)*p) || *p == '_') ? NULL : p;
}

static bool parse_path(const char *s, parsed_path *pp)
{
    memset(pp, 0, sizeof *pp);
    const char *p = identifier(skip_space(s), pp->root, sizeof pp->root);
    while (p && *(p = skip_space(p))) {
        if (pp->nsteps == (int)(sizeof pp->steps / sizeof pp->steps[0]))
            return false;
        step *st = &pp->steps[pp->nsteps++];
        if (p[0] == '-' && p[1] == '>') {
            st->kind = STEP_ARROW;
            p = identifier(skip_space(p + 2), st->name, sizeof st->name);
        } else if (p[0] == '.') {
            st->kind = STEP_DOT;
            p = identifier(skip_space(p + 1), st->name, sizeof st->name);
        } else if (p[0] == '[') {
            st->kind = STEP_INDEX;
            int depth = 1;
            for (p++; *p && depth; p++)
                depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
            if (depth)
                return false;
        } else {
            return false;
        }
    }
    return p != NULL;
}

/* Qualifiers removed, typedefs kept (they are how the code names the type). */
static bool strip_cv(Dwarf_Die *type, Dwarf_Die *out)
{
    *out = *type;
    for (int i = 0; i < MAX_DEPTH; i++) {
        int tag = dwarf_tag(out);
        if (tag != DW_TAG_const_type && tag != DW_TAG_volatile_type && tag != DW_TAG_restrict_type &&
            tag != DW_TAG_atomic_type)
            return true;
        if (!die_type(out, out))
            return false;
    }
    return false;
}

/* The type as the code writes it: a typedef's name, "struct x" in C. */
static char *type_name(Dwarf_Die *type, bool cplusplus)
{
    Dwarf_Die t;
    if (!strip_cv(type, &t))
        return NULL;
    const char *name = die_name(&t);
    if (!name)
        return NULL;
    int tag = dwarf_tag(&t);
    const char *prefix = "";
    if (!cplusplus && tag == DW_TAG_structure_type)
        prefix = "struct ";
    else if (!cplusplus && tag == DW_TAG_union_type)
        prefix = "union ";
    char *out;
    return asprintf(&out, "%s%s", prefix, name) < 0 ? NULL : out;
}

static bool find_member(Dwarf_Die *type, const char *name, Dwarf_Die *member_type, int depth)
{
    Dwarf_Die t, m;
    if (depth > MAX_DEPTH || dwarf_peel_type(type, &t) != 0 || dwarf_child(&t, &m) != 0)
        return false;
    int tag = dwarf_tag(&t);
    if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_class_type)
        return false;
    do {
        int mtag = dwarf_tag(&m);
        const char *mname = die_name(&m);
        Dwarf_Die mtype;
        if (mtag != DW_TAG_member && mtag != DW_TAG_inheritance)
            continue;
        if (!die_type(&m, &mtype))
            continue;
        if (mtag == DW_TAG_member && mname && strcmp(mname, name) == 0) {
            *member_type = mtype;
            return true;
        }
        /* Anonymous struct/union members and base classes hold members too. */
        if ((mtag == DW_TAG_inheritance || !mname) && find_member(&mtype, name, member_type, depth + 1))
            return true;
    } while (dwarf_siblingof(&m, &m) == 0);
    return false;
}

/* A variable or parameter called name among scope's children. */
static bool find_in_scope(Dwarf_Die *scope, const char *name, Dwarf_Die *found)
{
    Dwarf_Die child;
    if (dwarf_child(scope, &child) != 0)
        return false;
    do {
        int tag = dwarf_tag(&child);
        const char *n = die_name(&child);
        if ((tag == DW_TAG_variable || tag == DW_TAG_formal_parameter) && n && strcmp(n, name) == 0) {
            *found = child;
            return true;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return false;
}

void cw_path_type_clear(cw_path_type *t)
{
    free(t->member);
    free(t->container);
    free(t->local_of);
    memset(t, 0, sizeof *t);
}

/* Follows pp's steps from root_type; fills out. */
static bool follow(const parsed_path *pp, Dwarf_Die root_type, bool cplusplus, bool *derefs,
                   cw_path_type *out)
{
    Dwarf_Die cur = root_type;
    for (int i = 0; i < pp->nsteps; i++) {
        const step *st = &pp->steps[i];
        Dwarf_Die t, holder;
        if (dwarf_peel_type(&cur, &t) != 0)
            return false;
        if (st->kind == STEP_INDEX) {
            if (dwarf_tag(&t) != DW_TAG_array_type && dwarf_tag(&t) != DW_TAG_pointer_type)
                return false;
            *derefs |= dwarf_tag(&t) == DW_TAG_pointer_type;
            if (!die_type(&t, &cur))
                return false;
            free(out->member);
            free(out->container);
            out->member = out->container = NULL;
            continue;
        }
        if (st->kind == STEP_ARROW) {
            if (dwarf_tag(&t) != DW_TAG_pointer_type || !die_type(&t, &holder))
                return false;
            *derefs = true;
        } else if (dwarf_tag(&t) == DW_TAG_reference_type || dwarf_tag(&t) == DW_TAG_rvalue_reference_type) {
            if (!die_type(&t, &holder))         /* C++: `from.m` with `Account &from` */
                return false;
            *derefs = true;
        } else {
            holder = cur;
        }
        Dwarf_Die mtype;
        if (!find_member(&holder, st->name, &mtype, 0))
            return false;
        free(out->member);
        free(out->container);
        out->member = cw_xstrdup(st->name);
        out->container = type_name(&holder, cplusplus);
        cur = mtype;
    }
    return true;
}

static bool is_cplusplus(Dwarf_Die *cu)
{
    int lang = dwarf_srclang(cu);
    return lang == DW_LANG_C_plus_plus || lang == DW_LANG_C_plus_plus_11 ||
           lang == DW_LANG_C_plus_plus_14 || lang == DW_LANG_C_plus_plus_03;
}

bool cw_path_type_at(cw_data_names *names, const char *module, uint64_t vaddr, bool is_return,
                     const char *path, cw_path_type *out)
{
    memset(out, 0, sizeof *out);
    parsed_path pp;
    if (!module || !path || !parse_path(path, &pp))
        return false;
    module_index *m = index_of(names, module);
    uint64_t bias;
    Dwfl_Module *mod = cw_symbolizer_module(names->sym, module, &bias);
    if (!m->dwarf || !mod)
        return false;
    Dwarf_Addr addr = vaddr + bias - (is_return && vaddr > 0 ? 1 : 0);
    Dwarf_Addr cubias;
    Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &cubias);
    if (!cu)
        return false;
    bool cplusplus = is_cplusplus(cu);
    Dwarf_Die *scopes = NULL;
    int nscopes = dwarf_getscopes(cu, addr - cubias, &scopes);
    Dwarf_Die var, type;
    const char *function = NULL;
    bool found = false, local = false;
    for (int i = 0; i < nscopes && !found; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (!function && (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine))
            function = die_name(&scopes[i]);
        if (find_in_scope(&scopes[i], pp.root, &var)) {
            found = true;
            local = tag != DW_TAG_compile_unit;
        }
    }
    /* C++: a member named without `this->` (`std::lock_guard g(m_lock)`). */
    if (!found && cplusplus) {
        for (int i = 0; i < nscopes && !found; i++) {
            Dwarf_Die self, self_type, pointee, mtype;
            if (find_in_scope(&scopes[i], "this", &self) && die_type(&self, &self_type) &&
                dwarf_peel_type(&self_type, &pointee) == 0 && die_type(&pointee, &pointee) &&
                find_member(&pointee, pp.root, &mtype, 0)) {
                memmove(&pp.steps[1], &pp.steps[0], sizeof pp.steps[0] * (size_t)(pp.nsteps < 15 ? pp.nsteps : 15));
                pp.nsteps = pp.nsteps < 15 ? pp.nsteps + 1 : 16;
                pp.steps[0].kind = STEP_ARROW;
                snprintf(pp.steps[0].name, sizeof pp.steps[0].name, "%s", pp.root);
                snprintf(pp.root, sizeof pp.root, "this");
                var = self;
                found = true;
                local = true;
            }
        }
    }
    bool ok = false;
    if (found && die_type(&var, &type)) {
        bool derefs = false;
        Dwarf_Addr fixed;
        ok = follow(&pp, type, cplusplus, &derefs, out);
        if (ok && local && !derefs && !fixed_address(&var, &fixed) && function)
            out->local_of = cw_xstrdup(function);
    }
    free(scopes);
    if (!ok)
        cw_path_type_clear(out);
    return ok;
}

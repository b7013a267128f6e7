/*
 * What each instruction of a code object does to Python variables, decoded
 * once per code object (by the helper's `dis`-based decode(), see
 * py_race_helper.py) and kept in the code object's extra slot
 * (PyUnstable_Code_SetExtra), freed with it.
 *
 * An entry says which variable an instruction is about to touch and where
 * its operands are: the frame's globals or locals and a name (a global), or
 * the value stack (an attribute's object, a subscript's container and key,
 * a call's callable and arguments), with the stack depth the compiler
 * computed for the instruction (3.12+ callbacks do not get the stack
 * pointer).  Code that is not the program's (the standard library, frozen
 * modules) has no table: its instructions are never looked at.
 *
 * GIL held for everything here.
 */
#ifndef CW_PY_RACE_DECODE_H
#define CW_PY_RACE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum cw_pyr_kind {
    CW_PYR_NONE = 0,
    CW_PYR_GLOBAL_READ,     /* LOAD_GLOBAL name: f_globals */
    CW_PYR_GLOBAL_WRITE,    /* STORE_GLOBAL, DELETE_GLOBAL */
    CW_PYR_NAME_READ,       /* LOAD_NAME: f_locals (at module level, the globals) */
    CW_PYR_NAME_WRITE,      /* STORE_NAME, DELETE_NAME */
    CW_PYR_ATTR_READ,       /* LOAD_ATTR (not a method load): the object is on top */
    CW_PYR_ATTR_WRITE,      /* STORE_ATTR, DELETE_ATTR: the object is on top */
    CW_PYR_ITEM_READ,       /* BINARY_SUBSCR: container, key on top */
    CW_PYR_ITEM_WRITE,      /* STORE_SUBSCR, DELETE_SUBSCR: container, key on top */
    CW_PYR_CONTAINS,        /* CONTAINS_OP: key, container on top */
    CW_PYR_CALL,            /* a call of a method named like one of dict's (d.get(k)) */
    CW_PYR_CHECK,           /* 3.12+: any other call, no access: for the stack-depth self-check */
    CW_PYR_NKINDS
} cw_pyr_kind;

static inline bool cw_pyr_kind_is_access(int kind)
{
    return kind != CW_PYR_NONE && kind != CW_PYR_CHECK;
}

typedef struct cw_pyr_entry {
    uint8_t kind;           /* cw_pyr_kind */
    uint8_t nargs;          /* a call's positional arguments */
    uint8_t skip;           /* found at run time to touch no variable worth checking (a global
                               bound to a function, a class, a module or a lock) */
    uint8_t cache_verdict;  /* what cache_type was found to be (py_race_access.c) */
    uint16_t depth;         /* value-stack depth before the instruction */
    void *name;             /* the name (a str of the code's co_names), or NULL */
    ssize_t hash;           /* hash(name) */
    char *text;             /* source text of the object or container ("self.counts"), or NULL */
    void *cache_type;       /* the type of the object last seen here */
    uint32_t cache_cell;    /* the variable last checked here (py_race_shadow.h), a hint */
} cw_pyr_entry;

typedef struct cw_pyr_code {
    int units;              /* 2-byte code units of co_code */
    int accesses;           /* entries that are accesses (0: nothing to watch) */
    int nentries;
    uint16_t *index;        /* per code unit: 0, or 1 + the entry's position */
    cw_pyr_entry *entries;
} cw_pyr_code;

/* Ready to decode: the helper's decode function, the code-extra index
 * (requested with cw_pyr_code_free as its free function) and the kinds'
 * names the helper uses ("global_read"... in the order of cw_pyr_kind). */
void cw_pyr_decode_init(void *decode_fn, ssize_t extra_index);
void cw_pyr_code_free(void *table);

/* The code object's table, decoding it on first sight; NULL when the code
 * is not watched (not the program's, or its stack could not be followed). */
cw_pyr_code *cw_pyr_code_lookup(void *code);

/* The same through a small cache by address, checked against a count of
 * tables freed (a code object freed and another made at its address). */
#define CW_PYR_CODE_CACHE 64
typedef struct cw_pyr_code_hint {
    void *code;
    cw_pyr_code *table;
    uint64_t generation;
} cw_pyr_code_hint;
extern cw_pyr_code_hint cw_pyr_code_cache[CW_PYR_CODE_CACHE];
extern uint64_t cw_pyr_code_generation;

static inline cw_pyr_code *cw_pyr_code_of(void *code)
{
    cw_pyr_code_hint *h = &cw_pyr_code_cache[((uintptr_t)code >> 4) & (CW_PYR_CODE_CACHE - 1)];
    if (__builtin_expect(h->code == code && h->generation == cw_pyr_code_generation, 1))
        return h->table;
    cw_pyr_code *table = cw_pyr_code_lookup(code);
    *h = (cw_pyr_code_hint){ code, table, cw_pyr_code_generation };
    return table;
}

/* The entry of the instruction at byte offset `offset`, or NULL. */
static inline cw_pyr_entry *cw_pyr_entry_at(cw_pyr_code *c, int offset)
{
    unsigned unit = (unsigned)offset / 2;
    if (!c || unit >= (unsigned)c->units || !c->index[unit])
        return NULL;
    return &c->entries[c->index[unit] - 1];
}

/* How many code objects could not be decoded (their stack depths did not
 * agree with the compiler's): for the debug line. */
unsigned cw_pyr_decode_rejected(void);

extern const char *const cw_pyr_kind_names[CW_PYR_NKINDS];

#endif

/*
 * Names of data from the debug information (DWARF, through libdw): what the
 * program's own source calls the memory a lock lives in.
 *
 * Two questions, both asked in the launcher after the program ended (nothing
 * here costs the watched program anything):
 *
 *   - static storage: which variable covers an address of a module's image,
 *     and which element / member of it, down to the lock:
 *         0x40a0 in ./bank -> `accounts[1].lock` (global, bank.c:12).
 *     Every variable with a fixed address (DW_OP_addr: globals, file-scope
 *     statics, function-scope statics, C++ namespace-scope variables) is
 *     indexed once per module.  The member path stops at a type declared in a
 *     system header (pthread_mutex_t, sem_t, std::mutex): their insides are the
 *     library's names, not the program's.
 *
 *   - any storage: the type of an access path written in the code, as seen
 *     from a code address (a frame of the lock's creation or first use):
 *         `a->lock` at bank.c:40 in open_account -> field `lock` of a
 *         struct account.
 *     The path's root is looked up among the variables and parameters in
 *     scope at that address (innermost first, inlined scopes included), then
 *     among the compilation unit's variables; `->`, `.` and `[...]` are then
 *     followed through the types (typedefs and qualifiers seen through).
 *
 * Not thread-safe: one caller (it shares the symbolizer's Dwfl).
 */
#ifndef CW_DATA_NAMES_H
#define CW_DATA_NAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "symbolizer.h"

typedef struct cw_data_names cw_data_names;

/* Borrows sym, which must outlive the result. */
cw_data_names *cw_data_names_new(cw_symbolizer *sym);
void cw_data_names_free(cw_data_names *names);

/* A variable of static storage, as found by cw_static_data_name. */
typedef struct cw_static_data {
    char *expr;          /* "accounts[1].lock"; "ns::lock" for C++ namespaces */
    char *storage;       /* "global", "static", or "static in worker()" */
    char *decl_file;     /* where the variable is declared (may be NULL) */
    int decl_line;       /* 0 if unknown */
} cw_static_data;

void cw_static_data_clear(cw_static_data *d);

/* The variable (and element / member path) at ELF vaddr of module; false when
   no variable with a fixed address covers it (no debug information, or not a
   variable). */
bool cw_static_data_name(cw_data_names *names, const char *module, uint64_t vaddr,
                         cw_static_data *out);

/* What an access path denotes, as cw_path_type describes it. */
typedef struct cw_path_type {
    char *member;        /* the last member named ("lock"), NULL if the path
                            does not end in a member */
    char *container;     /* the type holding it: "struct account", "Account",
                            "account_t" (a typedef: as the code writes it) */
    char *local_of;      /* the function whose local variable the path's
                            memory is in (no pointer followed), else NULL */
} cw_path_type;

void cw_path_type_clear(cw_path_type *t);

/* Resolves path (a C/C++ lvalue: an identifier followed by `->name`,
   `.name` or `[...]`, e.g. "from->lock", "pool[i].m", "m") at the code
   address vaddr of module (is_return: vaddr is a return address, the call is
   just before it).  False when the path does not parse, its root is not in
   scope there, or a step does not fit the type. */
bool cw_path_type_at(cw_data_names *names, const char *module, uint64_t vaddr, bool is_return,
                     const char *path, cw_path_type *out);

#endif

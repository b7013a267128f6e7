/*
 * Naming the locks of findings the way the program's code does (cw_lock.name
 * and .description), in the launcher after symbolization: nothing of this
 * runs in the watched program, so it costs the program nothing.
 *
 *  - A lock inside a module's image (a global or static variable: the shim's
 *    `lockaddr` record gives the module and the address in its ELF image):
 *    the variable and the element / member path down to the lock, from DWARF
 *    (data_names.h):
 *        name "accounts[1].lock",
 *        description "`accounts[1].lock` (global, bank.c:12)".
 *  - Any other lock (on the heap, on a thread's stack).  The shim does not
 *    follow allocations (that would mean intercepting every malloc), so such
 *    a lock is named by its type and by where it was created: the access path
 *    that the line creating it (or, for a lock with a static initialiser,
 *    first locking it) hands to the lock call (code_names.h), typed through
 *    the DWARF of that line:
 *        "field `lock` of a struct account (initialised at bank.c:40)"
 *        name "ctx.lock", "`ctx.lock` (local in main(), initialised at x.c:12)"
 *    and, when no type can be had (no debug info, a line of another shape),
 *    the site alone: "a mutex initialised at bank.c:40".
 *  - A Python lock (its stack is Python frames): the target the Lock() call's
 *    result is assigned to, on the first line of the program's own code in
 *    the creation stack: `lock_a = threading.Lock()` -> name "lock_a",
 *    "`lock_a` (created at app.py:3)"; `self.lock = threading.Lock()` in a
 *    method of class Account (found from the source's indentation) ->
 *    "attribute `lock` of an Account object (created at bank.py:7)".  Only
 *    that innermost line is used: the outer frames of a Python creation
 *    stack come from the shim's per-site cache (python_sites.h), shared by
 *    every lock created at that line, so they may be another call's.
 *
 * Locks that already have a name (read back from a JSON report) are left
 * alone.  Sites are shown relative to base_dir, as in the reports.
 */
#ifndef CW_LOCK_NAMES_H
#define CW_LOCK_NAMES_H

#include "finding.h"
#include "symbolizer.h"

void cw_name_locks(cw_symbolizer *sym, cw_finding_list *list, const char *base_dir);

#endif

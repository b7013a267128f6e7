/*
 * The record format: how the shim (inside the watched program) hands its
 * findings to the launcher (outside it).
 *
 * Why a file and not a pipe: the program may crash, _exit or be killed right
 * after a finding; every record is appended with one write(2) to a file opened
 * O_APPEND at shim start-up, so whatever was detected survives.  Each process
 * (the program, and every child it forks or execs) writes its own file
 * "<report dir>/findings.<pid>"; the launcher reads them all.
 *
 * Why raw frames: symbolization (libdw) is slow and allocates; it happens in
 * the launcher.  The shim writes each native frame as module path + ELF virtual
 * address inside that module (pc - load bias), which is what libdw wants for
 * both PIE and non-PIE objects.  Python frames are already symbolic.
 *
 * Grammar: UTF-8 text, one record per line, fields separated by one TAB.
 * Text fields never contain TAB or newline (the writer replaces them by a
 * space).  Unknown record tags are ignored by the reader (forward compatible).
 *
 *   finding <kind> <message>          starts a finding; kind is one of
 *                                     self-deadlock, lock-order-inversion,
 *                                     deadlock, data-race, misuse
 *   lock <id> <type> <how>            a lock involved; id like "M1", type one of
 *                                     mutex, rwlock, spinlock, semaphore, ...;
 *                                     how is "created" or "first used".
 *                                     The frame lines that follow (until the next
 *                                     lock/stack/end) are where it was created.
 *   lockaddr <addr-hex> [<module> <vaddr-hex>]
 *                                     where the last lock lives: its address in the
 *                                     process and, when that lies in a loaded
 *                                     object's image (a global or static variable),
 *                                     the object's path and the address inside its
 *                                     ELF image, which the launcher looks up in the
 *                                     debug information to name the variable.
 *                                     Optional (older shims do not write it; an
 *                                     older launcher ignores it as an unknown tag).
 *   stack <thread> <role>             a stack of the finding; thread like "T1",
 *                                     role what the stack shows, either a sentence
 *                                     with its own subject ("mutex M2 acquired here
 *                                     while holding mutex M1 in thread T1") or a verb
 *                                     phrase whose subject is the thread ("waits for
 *                                     mutex M1, held by T2").
 *                                     The frame lines that follow belong to it.
 *   frame <module> <vaddr-hex> <r|i>  a native frame: module path, address inside
 *                                     the module's ELF image, 'r' if it is a return
 *                                     address (the call is at vaddr-1), 'i' if it is
 *                                     the exact instruction.
 *   pyframe <file> <line> <function>  an interpreted (Python) frame.
 *   note <text>                       free text shown under the finding.
 *   end                               ends the finding.
 *
 * Records about the run, outside any finding:
 *   races <method> <detail>           how this process looks for data races:
 *                                     method is "hardware watchpoints",
 *                                     "software watchpoints", "Python checks"
 *                                     (CPython: the program's Python code) or
 *                                     "off"; detail says why (off: the reason;
 *                                     else what was proven, or what limits the
 *                                     judgement).  A process may write it again
 *                                     (a later "off" wins, except over "Python
 *                                     checks": the C watchpoints are off in every
 *                                     CPython, whichever says first).
 *                                     Readers that predate it ignore it.
 *
 * Frames are innermost first.
 *
 * Status records: besides its findings, each process that loads the shim
 * writes "<report dir>/status.<pid>" (same line grammar; read by
 * report/process_status.c), one record per event:
 *
 *   process <pid> <ppid> <command>    at start-up (and in a fork child): the
 *                                     command line, arguments joined by spaces
 *   off <why>                         an internal error turned concwatch off
 *                                     in this process (common/shim_health.h)
 *   crash <SIGNAL> <address> <helper|program> <thread name>
 *                                     the shim crashed; `frame` lines follow
 *                                     (the shim's own included), then `end`
 *   unwatched <path> <why> <ppid>     this process is about to run a program
 *                                     the shim cannot follow (statically linked,
 *                                     set-user-ID, ...: common/exec_check.h)
 *
 * and "<report dir>/health.<pid>", a binary cw_health_page (shim_health.h)
 * that the launcher's watchdog reads while the program runs.
 */
#ifndef CW_RECORD_FORMAT_H
#define CW_RECORD_FORMAT_H

/* Set by the launcher for the shim: the directory the records go to. */
#define CW_REPORT_DIR_ENV "CONCWATCH_REPORT_DIR"
#define CW_FINDINGS_PREFIX "findings."

/* In a process built with -fsanitize=thread the shim also lists, in
 * "<report dir>/threads.<pid>", each thread of the program as it attaches:
 *   thread <label> <tid>              concwatch's label ("T2") and kernel tid
 * so that the launcher gives ThreadSanitizer's reports, which number
 * concwatch's own helper threads too, the same thread labels as the shim's. */
#define CW_THREAD_IDS_PREFIX "threads."

/* Exit statuses.  The shim ends a program that would hang (or is ending one
 * that deadlocked) with CW_EXIT_FINDINGS, the status the launcher returns
 * whenever anything was reported: ThreadSanitizer's convention. */
#define CW_RACE_METHOD_PYTHON "Python checks"
#define CW_RACE_METHOD_OFF "off"

#define CW_EXIT_FINDINGS 66
#define CW_EXIT_USAGE 2          /* the launcher's own usage errors */

#endif

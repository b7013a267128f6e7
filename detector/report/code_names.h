/*
 * What a line of source code calls a lock: the text of the expression a lock
 * call is given, or the name a new lock is bound to.  Pure string work on one
 * line (lock_names.h supplies the line and checks the result against the
 * debug information where there is any); a line that does not fit a known
 * shape gives nothing, never a guess.
 */
#ifndef CW_CODE_NAMES_H
#define CW_CODE_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/*
 * C and C++: the lock a line hands to the lock API, as an access path:
 *   pthread_mutex_lock(&a->lock);               -> "a->lock"
 *   pthread_mutex_init(&fork_lock[i], NULL);    -> "fork_lock[i]"
 *   pthread_cond_wait(&c->ready, &c->lock);     -> "c->lock" (the mutex)
 *   sem_wait(&(q->slots));                      -> "q->slots"
 *   std::lock_guard<std::mutex> g(from.m);      -> "from.m" (also unique_lock,
 *                                                  shared_lock, and scoped_lock
 *                                                  with one lock)
 *   acct->m.lock();                             -> "acct->m" (lock, try_lock,
 *                                                  lock_shared, unlock)
 * Calls of the pthread_mutex_/rwlock_/spin_, sem_ and C11 mtx_ families and
 * pthread_cond_*wait are recognised; the argument must take an address (&)
 * of a path (an identifier, then ->name, .name, [...]).  The first such call
 * on the line wins.  Returns false (out untouched) when there is none.
 */
bool cw_c_lock_expression(const char *line, char *out, size_t size);

/*
 * Python: the target a call's result is assigned to:
 *   self.lock = threading.Lock()                -> "self.lock"
 *   lock_a: threading.Lock = threading.Lock()   -> "lock_a"
 *   locks[0] = Lock()                           -> "locks[0]"
 *   alice = Account("alice", 100)               -> "alice"
 * One target (a dotted name, possibly subscripted); a right-hand side that
 * starts with a call.  False otherwise (`x = y`, tuples, augmented or chained
 * comparisons, a call that is not assigned).
 */
bool cw_python_assigned_name(const char *line, char *out, size_t size);

#endif

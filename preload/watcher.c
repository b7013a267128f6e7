/* Starts the hang watcher with the real pthread_create: it is not a thread of the program. */
#include "hangs/hang_watch.h"
#include "interceptor.h"

void cw_watcher_start_once(void)
{
    cw_hang_watch_start_once(REAL(pthread_create));
}

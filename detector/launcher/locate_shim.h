/*
 * Finding libconcwatch.so, the shim preloaded into the program.
 *
 * Order: $CONCWATCH_SHIM if set (an explicit choice: it must exist); else
 * next to the concwatch executable (the build tree puts both in build/bin);
 * else <exe dir>/../<CW_SHIM_INSTALL_DIR>/ (the installed layout, e.g.
 * /usr/local/bin/concwatch + /usr/local/lib/concwatch/libconcwatch.so).
 * The result is absolute because the program and its children may chdir
 * before they exec, and LD_PRELOAD is resolved at every exec.
 */
#ifndef CW_LOCATE_SHIM_H
#define CW_LOCATE_SHIM_H

#include <stddef.h>

#define CW_SHIM_ENV "CONCWATCH_SHIM"

/* Returns a malloc'd absolute path, or NULL with one line in err. */
char *cw_locate_shim(char *err, size_t errlen);

#endif

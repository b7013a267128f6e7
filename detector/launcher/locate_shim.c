/* Where the shim is; see locate_shim.h. */
#define _GNU_SOURCE
#include "locate_shim.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CW_SHIM_NAME
#define CW_SHIM_NAME "libconcwatch.so"
#endif
#ifndef CW_SHIM_INSTALL_DIR
#define CW_SHIM_INSTALL_DIR "lib/concwatch"
#endif

/* The canonical absolute path if path is a readable regular file. */
static char *usable(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, R_OK) != 0)
        return NULL;
    return realpath(path, NULL);
}

/* LD_PRELOAD splits its list at spaces and colons: such a path cannot be preloaded. */
static bool preloadable(const char *path, char *err, size_t errlen)
{
    if (strpbrk(path, " :")) {
        snprintf(err, errlen, "the shim path '%s' contains a space or colon, which "
                 "LD_PRELOAD cannot express", path);
        return false;
    }
    return true;
}

static char *own_directory(void)
{
    char *exe = realpath("/proc/self/exe", NULL);
    if (!exe)
        return NULL;
    char *slash = strrchr(exe, '/');
    if (slash)
        *(slash == exe ? slash + 1 : slash) = '\0';
    return exe;
}

static char *from_environment(const char *path, char *err, size_t errlen)
{
    char *shim = usable(path);
    if (!shim)
        snprintf(err, errlen, "%s=%s: no such readable file", CW_SHIM_ENV, path);
    return shim;
}

static char *next_to_launcher(char *err, size_t errlen)
{
    char *dir = own_directory();
    if (!dir) {
        snprintf(err, errlen, "cannot find the shim %s: /proc/self/exe is unreadable "
                 "(set %s)", CW_SHIM_NAME, CW_SHIM_ENV);
        return NULL;
    }
    char beside[PATH_MAX], installed[PATH_MAX];
    snprintf(beside, sizeof beside, "%s/%s", dir, CW_SHIM_NAME);
    if (CW_SHIM_INSTALL_DIR[0] == '/')
        snprintf(installed, sizeof installed, "%s/%s", CW_SHIM_INSTALL_DIR, CW_SHIM_NAME);
    else
        snprintf(installed, sizeof installed, "%s/../%s/%s", dir, CW_SHIM_INSTALL_DIR, CW_SHIM_NAME);
    free(dir);
    char *shim = usable(beside);
    if (!shim)
        shim = usable(installed);
    if (!shim)
        snprintf(err, errlen, "cannot find the shim: neither %s nor %s exists (set %s)",
                 beside, installed, CW_SHIM_ENV);
    return shim;
}

char *cw_locate_shim(char *err, size_t errlen)
{
    const char *env = getenv(CW_SHIM_ENV);
    char *shim = env && env[0] ? from_environment(env, err, errlen) : next_to_launcher(err, errlen);
    if (shim && !preloadable(shim, err, errlen)) {
        free(shim);
        shim = NULL;
    }
    return shim;
}

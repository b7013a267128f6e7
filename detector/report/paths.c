/* Path display helpers; see paths.h. */
#include "paths.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

const char *cw_display_path(const char *file, const char *base_dir)
{
    if (!file || !base_dir || base_dir[0] != '/')
        return file;
    size_t n = strlen(base_dir);
    while (n > 1 && base_dir[n - 1] == '/')
        n--;
    if (n == 1)                 /* base "/": "usr/lib/x.c" would read worse */
        return file;
    if (strncmp(file, base_dir, n) == 0 && file[n] == '/' && file[n + 1] != '\0')
        return file + n + 1;
    return file;
}

char *cw_absolute_path(const char *file, const char *cwd)
{
    if (!file || (file[0] != '/' && (!cwd || cwd[0] != '/')))
        return NULL;
    size_t cap = strlen(file) + (cwd ? strlen(cwd) : 0) + 3;
    char *joined = cw_xmalloc(cap);
    if (file[0] == '/')
        snprintf(joined, cap, "%s", file);
    else
        snprintf(joined, cap, "%s/%s", cwd, file);
    /* Rebuild component by component: out always starts with '/'. */
    char *out = cw_xmalloc(cap);
    size_t n = 0;
    for (char *p = joined; *p;) {
        while (*p == '/')
            p++;
        size_t len = strcspn(p, "/");
        if (len == 0)
            break;
        if (len == 1 && p[0] == '.') {
            /* nothing */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;                               /* the '/' before it */
        } else {
            out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = '\0';
    free(joined);
    return out;
}

const char *cw_basename(const char *path)
{
    if (!path)
        return NULL;
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

bool cw_is_runtime_module(const char *module)
{
    static const char *const prefixes[] = {
        "libc.so", "libc-", "libpthread", "libdl.so", "librt.so", "libm.so",
        "ld-linux", "ld.so", "ld64.so", "libgcc_s", "libstdc++",
        "libpython", "python", "libconcwatch", "libtsan", "libasan",
    };
    const char *base = cw_basename(module);
    if (!base)
        return false;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(base, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

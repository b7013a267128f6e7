/* PROGRAM preflight; see check_program.h. */
#define _GNU_SOURCE
#include "check_program.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/exec_check.h"

typedef enum { FILE_MISSING, FILE_NOT_EXECUTABLE, FILE_EXECUTABLE } file_state;

static file_state executable_state(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return FILE_MISSING;
    if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0)
        return FILE_NOT_EXECUTABLE;
    return FILE_EXECUTABLE;
}

static char *default_path(void)
{
    size_t n = confstr(_CS_PATH, NULL, 0);
    char *p = malloc(n ? n : 1);
    if (p && (n == 0 || confstr(_CS_PATH, p, n) == 0))
        strcpy(p, "/bin:/usr/bin");
    return p;
}

/* PATH search; returns the state of the best candidate, *found set if executable
   (or, for FILE_NOT_EXECUTABLE, the first non-executable match). */
static file_state search_path(const char *name, char **found)
{
    const char *env = getenv("PATH");
    char *list = env ? strdup(env) : default_path();
    file_state best = FILE_MISSING;
    *found = NULL;
    for (char *dir = list, *next; dir; dir = next) {
        next = strchr(dir, ':');
        if (next)
            *next++ = '\0';
        char *candidate;
        if (asprintf(&candidate, "%s/%s", dir[0] ? dir : ".", name) < 0)
            break;
        file_state st = executable_state(candidate);
        if (st == FILE_EXECUTABLE || (st == FILE_NOT_EXECUTABLE && best == FILE_MISSING)) {
            free(*found);
            *found = candidate;
            best = st;
            if (st == FILE_EXECUTABLE)
                break;
        } else {
            free(candidate);
        }
    }
    free(list);
    return best;
}

cw_program_status cw_check_program(const char *name, char **path, char *why, size_t whylen)
{
    *path = NULL;
    file_state st;
    char *file = NULL;
    bool searched = name[0] && !strchr(name, '/');
    if (!name[0]) {
        st = FILE_MISSING;
    } else if (searched) {
        st = search_path(name, &file);
    } else {
        file = strdup(name);
        st = file ? executable_state(file) : FILE_MISSING;
    }
    if (st == FILE_MISSING) {
        snprintf(why, whylen, searched ? "%s: command not found in PATH" : "%s: no such file",
                 name);
        free(file);
        return CW_PROGRAM_NOT_FOUND;
    }
    if (st == FILE_NOT_EXECUTABLE) {
        struct stat sb;
        bool is_dir = stat(file, &sb) == 0 && S_ISDIR(sb.st_mode);
        snprintf(why, whylen, "%s: %s", file, is_dir ? "is a directory" : "not executable (permission denied)");
        free(file);
        return CW_PROGRAM_NOT_EXECUTABLE;
    }
    if (cw_elf_is_static(file)) {
        snprintf(why, whylen, "%s: statically linked, so concwatch cannot preload its shim "
                 "into it (link it dynamically)", file);
        free(file);
        return CW_PROGRAM_STATIC;
    }
    *path = file;
    return CW_PROGRAM_OK;
}

int cw_program_status_exit_code(cw_program_status status)
{
    switch (status) {
    case CW_PROGRAM_OK: return 0;
    case CW_PROGRAM_NOT_FOUND: return 127;
    case CW_PROGRAM_NOT_EXECUTABLE: return 126;
    case CW_PROGRAM_STATIC: return 2;
    }
    return 2;
}

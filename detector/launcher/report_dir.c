/* The run's report directory; see report_dir.h. */
#define _GNU_SOURCE
#include "report_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *cw_report_dir_create(char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || tmp[0] != '/')
        tmp = "/tmp";
    char *dir;
    if (asprintf(&dir, "%s/concwatch.XXXXXX", tmp) < 0) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "cannot create a report directory in %s: %s", tmp, strerror(errno));
        free(dir);
        return NULL;
    }
    return dir;
}

void cw_report_dir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(dir);
}

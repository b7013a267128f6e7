/* Reading the report directory; see report_files.h. */
#define _GNU_SOURCE
#include "report_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

typedef struct report_file {
    char *name;
    struct timespec mtime;
} report_file;

static int compare_files(const void *a, const void *b)
{
    const report_file *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

static long pid_after(const char *name, size_t prefix_len)
{
    const char *digits = name + prefix_len;
    char *end;
    long pid = strtol(digits, &end, 10);
    return (*digits >= '0' && *digits <= '9' && *end == '\0' && pid > 0) ? pid : 0;
}

/* The whole file; NULL if it cannot be read. */
static char *read_all(int dirfd, const char *name, size_t *len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = cw_xmalloc(cap);
    for (;;) {
        if (n == cap)
            buf = cw_xreallocarray(buf, cap *= 2, 1);
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            free(buf);
            buf = NULL;
            break;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    *len = n;
    return buf;
}

long cw_for_each_report_file(const char *dir, const char *prefix, cw_report_file_fn fn, void *ctx)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    size_t prefix_len = strlen(prefix);
    report_file *files = NULL;
    size_t nfiles = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (strncmp(e->d_name, prefix, prefix_len) != 0 ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        report_file *f = cw_array_push(&files, &nfiles, sizeof *f);
        f->name = cw_xstrdup(e->d_name);
        f->mtime = st.st_mtim;
    }
    if (nfiles > 1)
        qsort(files, nfiles, sizeof *files, compare_files);
    long total = 0;
    for (size_t i = 0; i < nfiles; i++) {
        size_t len;
        char *buf = read_all(dirfd(d), files[i].name, &len);
        if (buf)
            total += (long)fn(buf, len, pid_after(files[i].name, prefix_len), ctx);
        free(buf);
        free(files[i].name);
    }
    free(files);
    closedir(d);
    return total;
}

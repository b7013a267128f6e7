#define _GNU_SOURCE
#include "exec_check.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static bool fd_is_static_elf(int fd)
{
    Elf64_Ehdr eh;
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
        eh.e_phentsize != sizeof(Elf64_Phdr))
        return false;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) != (ssize_t)sizeof ph ||
            ph.p_type == PT_INTERP)
            return false;   /* dynamic, or unreadable: let exec decide */
    }
    return true;
}

bool cw_elf_is_static(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool is_static = fd_is_static_elf(fd);
    close(fd);
    return is_static;
}

static bool judge(const char *path, char *why, size_t whylen, int depth)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;   /* exec will fail, or tell */
    struct stat st;
    bool unwatched = false;
    char head[256];
    ssize_t n = pread(fd, head, sizeof head - 1, 0);
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if ((st.st_mode & S_ISUID) && st.st_uid != geteuid()) {
            snprintf(why, whylen, "set-user-ID: the loader ignores LD_PRELOAD in it");
            unwatched = true;
        } else if ((st.st_mode & S_ISGID) && st.st_gid != getegid()) {
            snprintf(why, whylen, "set-group-ID: the loader ignores LD_PRELOAD in it");
            unwatched = true;
        } else if (fgetxattr(fd, "security.capability", NULL, 0) > 0) {
            snprintf(why, whylen, "file capabilities: the loader ignores LD_PRELOAD in it");
            unwatched = true;
        } else if (fd_is_static_elf(fd)) {
            snprintf(why, whylen, "statically linked: no loader preloads the shim");
            unwatched = true;
        }
    }
    close(fd);
    if (unwatched || depth > 0 || n < 4 || head[0] != '#' || head[1] != '!')
        return unwatched;
    /* A script: its interpreter is what runs. */
    head[n] = '\0';
    char *p = head + 2;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t len = strcspn(p, " \t\n");
    if (len == 0)
        return false;
    p[len] = '\0';
    char inner[200];
    if (!judge(p, inner, sizeof inner, depth + 1))
        return false;
    snprintf(why, whylen, "a script run by %s, %s", p, inner);
    return true;
}

bool cw_exec_unwatched(const char *path, char *why, size_t whylen)
{
    return judge(path, why, whylen, 0);
}

bool cw_exec_search(const char *file, char *out, size_t outlen)
{
    if (!file || !file[0])
        return false;
    if (strchr(file, '/')) {
        snprintf(out, outlen, "%s", file);
        return true;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/bin:/usr/bin";
    for (const char *p = path;; p++) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if ((size_t)snprintf(out, outlen, "%.*s%s%s", (int)len, p, len ? "/" : "", file) < outlen &&
            access(out, X_OK) == 0)
            return true;
        if (!colon)
            return false;
        p = colon;
    }
}

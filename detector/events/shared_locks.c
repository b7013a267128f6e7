#define _GNU_SOURCE
#include "shared_locks.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lock_events.h"
#include "object_table.h"
#include "record_writer.h"
#include "common/hash.h"
#include "common/spin_lock.h"

/* glibc's flags: PTHREAD_MUTEX_PSHARED_BIT in a mutex's kind; a semaphore's
 * `private` field (struct new_sem, after the 64-bit value) is LLL_SHARED
 * (128) for a process-shared or named one, LLL_PRIVATE (0) otherwise. */
#define MUTEX_PSHARED_BIT 128
#define SEM_SHARED 128
#define SHARED_PRIVATE 1u            /* cached in a slot: looked up, not shared */

bool cw_lock_says_shared(uintptr_t addr, cw_lock_kind kind)
{
    switch (kind) {
    case CW_KIND_MUTEX:
        return (((const pthread_mutex_t *)addr)->__data.__kind & MUTEX_PSHARED_BIT) != 0;
    case CW_KIND_RWLOCK:
        return ((const pthread_rwlock_t *)addr)->__data.__shared != 0;
    case CW_KIND_SEMAPHORE: {
        int private_flag;
        memcpy(&private_flag, (const char *)addr + 8, sizeof private_flag);
        return private_flag == SEM_SHARED;
    }
    default:
        return false;
    }
}

static uint64_t hex_field(const char **p)
{
    uint64_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return v;
        v = v * 16 + (uint64_t)d;
    }
}

static uint64_t dec_field(const char **p)
{
    uint64_t v = 0;
    for (; **p >= '0' && **p <= '9'; (*p)++)
        v = v * 10 + (uint64_t)(**p - '0');
    return v;
}

/* One line of /proc/self/maps: "start-end perms offset major:minor inode path".
 * Returns the identity of addr if the line's mapping holds it and is shared,
 * SHARED_PRIVATE if it holds it and is private, 0 if it does not hold it. */
static uint64_t id_in_line(const char *line, uintptr_t addr)
{
    const char *p = line;
    uint64_t start = hex_field(&p);
    if (*p++ != '-')
        return 0;
    uint64_t end = hex_field(&p);
    if (addr < start || addr >= end || *p++ != ' ')
        return 0;
    char perms[4];
    for (int i = 0; i < 4; i++)
        perms[i] = *p ? *p++ : 0;
    if (perms[3] != 's')
        return SHARED_PRIVATE;
    p++;
    uint64_t offset = hex_field(&p);
    p++;
    uint64_t major = hex_field(&p);
    p++;
    uint64_t minor = hex_field(&p);
    p++;
    uint64_t inode = dec_field(&p);
    uint64_t id = cw_mix64(cw_mix64(major << 32 | minor) ^ inode) ^ (offset + (addr - start));
    return id > SHARED_PRIVATE ? id : id + 2;
}

/* The identity of addr from /proc/self/maps (raw reads: no stdio buffers
 * in a shim that may run inside the allocator). */
static uint64_t lookup_mapping(uintptr_t addr)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return SHARED_PRIVATE;
    char buf[8192];
    size_t have = 0;
    uint64_t found = SHARED_PRIVATE;
    for (;;) {
        ssize_t got = read(fd, buf + have, sizeof buf - 1 - have);
        if (got <= 0)
            break;
        have += (size_t)got;
        buf[have] = '\0';
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            uint64_t id = id_in_line(line, addr);
            if (id) {
                close(fd);
                return id;
            }
            line = nl + 1;
        }
        have = (size_t)(buf + have - line);
        memmove(buf, line, have);
        if (have == sizeof buf - 1)
            have = 0;   /* a line longer than the buffer: not ours to parse */
    }
    close(fd);
    return found;
}

uint64_t cw_shared_lock_id(uintptr_t addr, cw_lock_kind kind)
{
    if (!addr || !cw_lock_says_shared(addr, kind))
        return 0;
    cw_object_slot *slot = cw_object_table_get(addr);
    uint64_t id = slot ? atomic_load(&slot->shared_id) : 0;
    if (!id) {
        int saved = errno;
        id = lookup_mapping(addr);
        errno = saved;
        if (slot)
            atomic_store(&slot->shared_id, id);
    }
    return id == SHARED_PRIVATE ? 0 : id;
}

/* ---- publishing edges --------------------------------------------------- */

#define PUBLISHED 1024
static cw_spin_lock published_lock;
static uint64_t published[PUBLISHED];   /* mixed (from, to) ids, 0 = empty */

static bool first_publication(uint64_t from, uint64_t to)
{
    uint64_t key = cw_mix64(from * 31 + to) | 1;
    bool fresh = true;
    cw_spin_lock_acquire(&published_lock);
    size_t i = (size_t)key & (PUBLISHED - 1);
    for (size_t probes = 0; probes < PUBLISHED; probes++, i = (i + 1) & (PUBLISHED - 1)) {
        if (published[i] == key) {
            fresh = false;
            break;
        }
        if (!published[i]) {
            published[i] = key;
            break;
        }
    }
    cw_spin_lock_release(&published_lock);
    return fresh;
}

void cw_shared_nesting(const cw_thread *t, const cw_shared_end *from, const cw_shared_end *to)
{
    if (!cw_lock_says_shared(from->addr, (cw_lock_kind)from->kind) ||
        !cw_lock_says_shared(to->addr, (cw_lock_kind)to->kind))
        return;
    uint64_t a = cw_shared_lock_id(from->addr, (cw_lock_kind)from->kind);
    uint64_t b = cw_shared_lock_id(to->addr, (cw_lock_kind)to->kind);
    if (!a || !b || a == b || !first_publication(a, b))
        return;
    char self[16];
    cw_thread_label(t->index, self, sizeof self);
    cw_record r;
    if (cw_record_begin(&r, "x-edge", "%016llx %016llx", (unsigned long long)a, (unsigned long long)b) != 0)
        return;
    cw_record_lock(&r, "M1", cw_lock_type_name(from->addr, from->kind), from->created ? "created" : "first used",
                   from->made, from->addr);
    cw_record_lock(&r, "M2", cw_lock_type_name(to->addr, to->kind), to->created ? "created" : "first used", to->made,
                   to->addr);
    cw_record_stack(&r, self, to->taken, "acquiring");
    cw_record_stack(&r, self, from->taken, "holding");
    cw_record_end_to(&r, CW_XEDGES_PREFIX);
}

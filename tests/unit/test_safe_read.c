/* detector/common/safe_read: reads of memory that is there succeed, reads
 * of memory that is not fail instead of faulting, both through
 * process_vm_readv and through the pipe used where it is refused. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "common/safe_read.h"

static void run(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *two = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(two != MAP_FAILED);
    if (two == MAP_FAILED)
        return;
    memset(two, 'x', (size_t)page * 2);
    munmap(two + page, (size_t)page);   /* the second page is gone */

    char buf[64];
    errno = 1234;
    CHECK(cw_safe_read(buf, (uintptr_t)two, sizeof buf));
    CHECK(memcmp(buf, "xxxxxxxx", 8) == 0);
    CHECK(errno == 1234);   /* the caller's errno is kept */

    /* Up to the last byte of the mapped page, and one past it. */
    CHECK(cw_safe_read(buf, (uintptr_t)(two + page - 8), 8));
    CHECK(!cw_safe_read(buf, (uintptr_t)(two + page - 8), 9));
    CHECK(!cw_safe_read(buf, (uintptr_t)(two + page), 8));
    CHECK(!cw_safe_read(buf, 0, 8));
    CHECK(!cw_safe_read(buf, 8, 8));
    CHECK(!cw_safe_read(buf, UINTPTR_MAX - 3, 8));   /* wraps around */

    uintptr_t word = 0, value = 0x1122334455667788u;
    CHECK(cw_safe_read_word((uintptr_t)&value, &word) && word == value);

    /* Big reads (the pipe path reads in chunks). */
    static char big[20000];
    memset(big, 'b', sizeof big);
    static char out[20000];
    CHECK(cw_safe_read(out, (uintptr_t)big, sizeof big) && memcmp(out, big, sizeof big) == 0);
    munmap(two, (size_t)page);
}

int main(void)
{
    run();
    cw_safe_read_force_pipe(true);
    run();
    /* A failed read leaves nothing behind in the pipe for the next one. */
    char buf[8];
    uintptr_t value = 42, word = 0;
    CHECK(!cw_safe_read(buf, 16, sizeof buf));
    CHECK(cw_safe_read_word((uintptr_t)&value, &word) && word == 42);
    return failures != 0;
}

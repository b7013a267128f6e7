// daemon_closes_fds.c - a daemon that closes every file descriptor it did
// not open, with a lock bug before and after.
//
// Daemons start by closing every descriptor above stderr (here with
// close_range(), as closefrom() does), then open their own files, which get
// the lowest free numbers.  A tool that kept a descriptor of its own open
// would lose it there, and if it kept using that number it would write into
// the daemon's file.  This daemon unlocks its `state_lock` once too often
// before detaching and once after (two different places: two bugs), and
// checks that its own state file holds exactly what it wrote.
//
// concwatch-expect: misuse=2
// concwatch-expect-text: daemon_closes_fds\.c:@line(before)\b
// concwatch-expect-text: daemon_closes_fds\.c:@line(after)\b

#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

static void save_state_badly(void)
{
    pthread_mutex_lock(&state_lock);
    pthread_mutex_unlock(&state_lock);
    /* BUG: unlocked twice */
    pthread_mutex_unlock(&state_lock); /* @before */
}

static void reload_state_badly(void)
{
    pthread_mutex_lock(&state_lock);
    pthread_mutex_unlock(&state_lock);
    /* BUG: unlocked twice */
    pthread_mutex_unlock(&state_lock); /* @after */
}

int main(void)
{
    save_state_badly();

    /* Detach: every descriptor but 0-2 goes. */
    close_range(3, ~0u, 0);
    char path[] = "/tmp/concwatch-daemon-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    const char state[] = "state=ready\n";
    if (write(fd, state, strlen(state)) != (ssize_t)strlen(state))
        return 1;

    reload_state_badly();

    char back[128] = "";
    ssize_t n = pread(fd, back, sizeof back - 1, 0);
    close(fd);
    unlink(path);
    if (n != (ssize_t)strlen(state) || memcmp(back, state, (size_t)n) != 0) {
        printf("state file corrupted: %zd bytes\n", n);
        return 1;
    }
    puts("state file intact");
    return 0;
}

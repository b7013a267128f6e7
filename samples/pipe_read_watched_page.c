// pipe_read_watched_page.c - read(2) from a pipe into a global buffer that
// shares its page with variables the race sampler watches: correct, and it
// must behave exactly as it does natively (a protected page would make the
// kernel's copy fail with EFAULT; concwatch's software watchpoints give the
// page back before the call).
//
// A writer thread sends 200 messages through a pipe; the reader thread
// read()s each into `inbox` and adds its bytes to `checksum`; both count
// messages in `sent` / `received` under one mutex.  Output: the checksum.
//
// concwatch-expect: clean

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MESSAGES 200

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long sent, received;
static char inbox[256];
static unsigned long checksum;
static int fds[2];

static void *writer(void *arg)
{
    (void)arg;
    char msg[64];
    for (int i = 0; i < MESSAGES; i++) {
        int n = snprintf(msg, sizeof msg, "message %03d", i);
        if (write(fds[1], msg, (size_t)n + 1) != n + 1)
            return NULL;
        pthread_mutex_lock(&count_lock);
        sent++;
        pthread_mutex_unlock(&count_lock);
        usleep(200);
    }
    close(fds[1]);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    ssize_t n;
    while ((n = read(fds[0], inbox, sizeof inbox)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            checksum = checksum * 31 + (unsigned char)inbox[i];
        pthread_mutex_lock(&count_lock);
        received++;
        pthread_mutex_unlock(&count_lock);
    }
    if (n < 0)
        perror("read");
    return NULL;
}

int main(void)
{
    if (pipe(fds) != 0)
        return 1;
    pthread_t w, r;
    if (pthread_create(&w, NULL, writer, NULL) != 0 || pthread_create(&r, NULL, reader, NULL) != 0)
        return 1;
    pthread_join(w, NULL);
    pthread_join(r, NULL);
    printf("sent %ld, checksum %lu\n", sent, checksum);
    return 0;
}

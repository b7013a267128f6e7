// misuse_munmap_locked.c - a mapping unmapped while it holds a locked mutex.
//
// A table of records lives in a memory mapping; each record has its own
// mutex.  update_and_close() locks a record, updates it, and unmaps the whole
// table -- before unlocking the record (the unlock would now touch unmapped
// memory, so it was "fixed" by leaving it out).  The mutex ends with its
// memory while it is locked.  One misuse: the munmap.
//
// Correct twin: misuse_munmap_locked_fixed.c.
//
// concwatch-expect: misuse=1
// concwatch-expect-text: unmaps the memory of mutex M1 while holding it
// concwatch-expect-text: misuse_munmap_locked\.c:@line(unmap)\b

#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>

struct record {
    pthread_mutex_t lock;
    long value;
};

#define RECORDS 64

static void update_and_close(struct record *table, size_t size)
{
    pthread_mutex_lock(&table[7].lock);
    table[7].value = 42;
    munmap(table, size); /* @unmap */
}

int main(void)
{
    size_t size = RECORDS * sizeof(struct record);
    struct record *table = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (table == MAP_FAILED)
        return 1;
    for (int i = 0; i < RECORDS; i++)
        pthread_mutex_init(&table[i].lock, NULL);
    update_and_close(table, size);
    puts("closed");
    return 0;
}

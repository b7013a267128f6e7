// misuse_munmap_locked_fixed.c - the record is unlocked and every mutex
// destroyed before the table is unmapped: correct twin of
// misuse_munmap_locked.c.
//
// concwatch-expect: clean

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
    pthread_mutex_unlock(&table[7].lock);
    for (int i = 0; i < RECORDS; i++)
        pthread_mutex_destroy(&table[i].lock);
    munmap(table, size);
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

/* test_transfer ordered|unordered: Alice pays Bob in one thread, then Bob pays
 * Alice in another, with the chosen transfer; checks the balances.  The
 * threads run one after the other, so the test itself never hangs: the
 * unordered version's bug is the lock order, which concwatch reports. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "bank.h"

static struct account *alice, *bob;
static void (*transfer)(struct account *, struct account *, long);

static void *alice_pays_bob(void *arg)
{
    (void)arg;
    transfer(alice, bob, 30);
    return NULL;
}

static void *bob_pays_alice(void *arg)
{
    (void)arg;
    transfer(bob, alice, 10);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "ordered") != 0 && strcmp(argv[1], "unordered") != 0)) {
        fprintf(stderr, "usage: %s ordered|unordered\n", argv[0]);
        return 2;
    }
    transfer = strcmp(argv[1], "ordered") == 0 ? transfer_ordered : transfer_unordered;
    alice = account_open(1, 100);
    bob = account_open(2, 100);
    void *(*payments[])(void *) = { alice_pays_bob, bob_pays_alice };
    for (int i = 0; i < 2; i++) {
        pthread_t t;
        pthread_create(&t, NULL, payments[i], NULL);
        pthread_join(t, NULL);
    }
    int ok = alice->balance == 80 && bob->balance == 120;
    printf("alice %ld, bob %ld: %s\n", alice->balance, bob->balance, ok ? "ok" : "WRONG");
    account_close(alice);
    account_close(bob);
    return ok ? 0 : 1;
}

// cxx_scoped_lock.cpp - two locks in either order with std::scoped_lock:
// correct twin of cxx_abba.cpp.
//
// std::scoped_lock(a, b) takes both mutexes with std::lock, which locks one
// and only TRIES the other, backing off and retrying in another order when
// it is busy: it never waits while holding, so opposite orders cannot
// deadlock.  Two threads transfer in opposite directions at the same time,
// 100 000 times each.  Nothing here is a bug (a detector that puts trylocks
// in its lock-order graph reports a false ABBA here).
//
// concwatch-expect: clean

#include <cstdio>
#include <mutex>
#include <thread>

struct Account {
    std::mutex m;
    long balance = 1000000;
};

static Account alice, bob;

static void transfer(Account &from, Account &to, long amount)
{
    std::scoped_lock both(from.m, to.m);
    from.balance -= amount;
    to.balance += amount;
}

static void pay_many(Account &from, Account &to)
{
    for (int i = 0; i < 100000; i++)
        transfer(from, to, 1);
}

int main()
{
    std::thread one(pay_many, std::ref(alice), std::ref(bob));
    std::thread other(pay_many, std::ref(bob), std::ref(alice));
    one.join();
    other.join();
    std::printf("alice %ld, bob %ld\n", alice.balance, bob.balance);
    return alice.balance + bob.balance == 2000000 ? 0 : 1;
}

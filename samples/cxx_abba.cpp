// cxx_abba.cpp - ABBA in C++: std::mutex and std::lock_guard.
//
// The bank transfer again, as most C++ code writes it: each Account has a
// std::mutex, and transfer() takes the payer's lock_guard, then the payee's.
// One std::thread pays alice -> bob, the next bob -> alice.  Run at the same
// time they can deadlock; here the second starts after the first has been
// joined, so this run never hangs.  The report must point at the user's
// transfer(), not at the libstdc++ headers that std::mutex::lock() lives in.
//
// Correct twin: cxx_scoped_lock.cpp (std::scoped_lock takes both at once).
//
// concwatch-expect: lock-order-inversion=1
// concwatch-expect-text: SUMMARY: concwatch: lock-order-inversion [^ ]*cxx_abba\.cpp:@line(edge)\b
// concwatch-expect-text: cxx_abba\.cpp:@line(edge)\b.*\n.*\bpay\b

#include <cstdio>
#include <mutex>
#include <thread>

struct Account {
    std::mutex m;
    int balance = 100;
};

static Account alice, bob;

static void transfer(Account &from, Account &to, int amount)
{
    std::lock_guard<std::mutex> payer(from.m);
    std::lock_guard<std::mutex> payee(to.m); /* @edge */
    from.balance -= amount;
    to.balance += amount;
}

static void pay(Account &from, Account &to, int amount)
{
    transfer(from, to, amount);
}

int main()
{
    std::thread first(pay, std::ref(alice), std::ref(bob), 30);
    first.join();
    std::thread second(pay, std::ref(bob), std::ref(alice), 10);
    second.join();
    std::printf("alice %d, bob %d\n", alice.balance, bob.balance);
    return 0;
}

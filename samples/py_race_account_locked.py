# py_race_account_locked.py - the bank account with a Lock: correct.
#
# The twin of py_race_account.py: every Account carries its own Lock, and
# deposit() and withdraw() update self.balance inside `with self.lock:`.
# Two threads deposit and withdraw on one account at once; the balance ends
# where it started.  Accesses under the account's lock are ordered: clean.
#
# concwatch-expect: clean

import sys
import threading


class Account:
    def __init__(self, owner, balance):
        self.owner = owner
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        with self.lock:
            self.balance += amount

    def withdraw(self, amount):
        with self.lock:
            self.balance -= amount


def payer(account):
    for _ in range(1000):
        account.deposit(1)


def spender(account):
    for _ in range(1000):
        account.withdraw(1)


def main():
    account = Account("alice", 100)
    threads = [threading.Thread(target=payer, args=(account,)),
               threading.Thread(target=spender, args=(account,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("balance:", account.balance)
    return 0 if account.balance == 100 else 1


if __name__ == "__main__":
    sys.exit(main())

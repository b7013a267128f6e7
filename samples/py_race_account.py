# py_race_account.py - a bank account whose deposit and withdraw race on
# self.balance.
#
# An Account keeps its balance in an attribute.  deposit() and withdraw()
# each read self.balance, add or subtract, and write it back, with no lock.
# One thread deposits 1 a thousand times while another withdraws 1 as often
# from the same account; main then checks that the balance is back to 100.
#
# The two threads' reads and writes of the attribute `balance` of that one
# Account object are not ordered by anything: a race (one finding), named by
# the attribute and where the object was made.  The account's other
# attribute, `owner`, is only read by the threads: not a race.
#
# Correct twin: py_race_account_locked.py.
#
# concwatch-expect: data-race=1
# concwatch-expect-text: attribute 'balance' of an Account object created at [^ ]*py_race_account\.py:@line(created)\b
# concwatch-expect-text: \bdeposit [^ ]*py_race_account\.py:@line(deposit)\b
# concwatch-expect-text: \bwithdraw [^ ]*py_race_account\.py:@line(withdraw)\b

import sys
import threading


class Account:
    def __init__(self, owner, balance):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount):
        self.balance += amount  # @deposit

    def withdraw(self, amount):
        self.balance -= amount  # @withdraw


def payer(account):
    for _ in range(1000):
        account.deposit(1)


def spender(account):
    for _ in range(1000):
        assert account.owner == "alice"
        account.withdraw(1)


def main():
    account = Account("alice", 100)  # @created
    threads = [threading.Thread(target=payer, args=(account,)),
               threading.Thread(target=spender, args=(account,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("balance:", account.balance)
    return 0


if __name__ == "__main__":
    sys.exit(main())

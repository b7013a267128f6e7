# py_rlock_twice.py - the account of py_lock_twice.py with an RLock: correct.
#
# Account.withdraw() takes the account's lock and calls balance(), which takes
# it again.  The lock is a threading.RLock: its owner may acquire it again (it
# counts the nesting and is free again after as many releases), so the nested
# acquire does not wait.  Three customers withdraw in turn, concurrently.
# Nothing here is a bug: a lock re-taken by its owner is a self-deadlock only
# when the lock is not reentrant.
#
# Twin of: py_lock_twice.py.
#
# concwatch-expect: clean

import sys
import threading


class Account:
    def __init__(self, balance):
        self.lock = threading.RLock()
        self._balance = balance

    def balance(self):
        with self.lock:  # nested: the owner takes it again, no wait
            return self._balance

    def withdraw(self, amount):
        with self.lock:
            if self.balance() < amount:
                return False
            self._balance -= amount
            return True


def customer(account, paid):
    for _ in range(5):
        if account.withdraw(10):
            with paid_lock:
                paid.append(10)


paid_lock = threading.Lock()


def main():
    savings = Account(100)
    paid = []
    threads = [threading.Thread(target=customer, args=(savings, paid)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("balance:", savings.balance(), "paid out:", sum(paid))
    return 0 if savings.balance() + sum(paid) == 100 and savings.balance() >= 0 else 1


if __name__ == "__main__":
    sys.exit(main())

# py_lock_twice.py - AA in Python: a threading.Lock taken again by the thread
# that holds it.
#
# The tutorial classic "a Lock where an RLock was meant".  Account.withdraw()
# takes the account's lock and, to check the funds, calls balance(), which
# takes the same lock again.  A threading.Lock is not reentrant: the second
# acquire waits until the lock is released, and the only code that would
# release it is the withdraw() that is now waiting.  The customer thread hangs
# forever at its first withdrawal, and main hangs forever in join().
#
# Natively the program hangs: never run it without concwatch.  Under concwatch
# the self-deadlock must be reported, naming this file and the line of the
# second acquire (in balance(), called from withdraw()) and of the first (in
# withdraw(), called from customer()), and the program ended (exit status 66).
# Correct twin: py_rlock_twice.py.
#
# concwatch-expect: self-deadlock=1
# concwatch-expect-text: \bbalance\b
# concwatch-expect-text: py_lock_twice\.py:@line(second)\b.*\n.*\bwithdraw\b
# concwatch-expect-text: py_lock_twice\.py:@line(first)\b.*\n.*\bcustomer\b

import threading


class Account:
    def __init__(self, balance):
        self.lock = threading.Lock()  # BUG: should be threading.RLock()
        self._balance = balance

    def balance(self):
        with self.lock:  # @second
            return self._balance

    def withdraw(self, amount):
        with self.lock:  # @first
            if self.balance() < amount:  # balance() takes the lock again
                return False
            self._balance -= amount
            return True


def customer(account):
    account.withdraw(30)


def main():
    savings = Account(100)
    t = threading.Thread(target=customer, args=(savings,))
    t.start()
    t.join()
    print("balance:", savings.balance())


if __name__ == "__main__":
    main()

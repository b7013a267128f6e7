# py_semaphore_leak.py - a connection pool whose error path forgets to give
# its slot back: the pool runs dry and the next fetch waits forever.
#
# fetch() takes one of the pool's two slots (a threading.BoundedSemaphore)
# before each download and gives it back after, except on the early return
# for a URL it refuses, which keeps the slot.  The fetcher thread refuses two
# URLs, so both slots are gone; its next fetch() waits in acquire() for a
# slot that nobody will ever release, and main waits forever in join().
#
# What the tool sees: threading's Semaphore is a Condition on a Lock; the
# fetcher waits in Condition.wait() on a fresh lock that a release() would
# free.  A wait for a release that never comes: one deadlock, and the report
# says what the program made (the lock inside a Semaphore, not "semaphore
# M1") and where it waits.
#
# Natively the program hangs: never run it without concwatch.  Correct twin:
# py_semaphore_limiter.py (every path gives its slot back).
#
# concwatch-expect: deadlock=1
# concwatch-expect-text: Semaphore M\d+ created at
# concwatch-expect-text: py_semaphore_leak\.py:@line(acquire)\b
# concwatch-expect-text: waits to join thread T\d+ \(Thread\.join\)

import sys
import threading

slots = threading.BoundedSemaphore(2)
fetched = []


def fetch(url):
    slots.acquire()  # @acquire
    if url.endswith(".exe"):
        return None  # refused: the slot is never given back
    fetched.append(url)
    slots.release()
    return url


def fetcher(urls):
    for url in urls:
        fetch(url)


def main():
    urls = ["a.html", "setup.exe", "b.html", "tool.exe", "c.html"]
    t = threading.Thread(target=fetcher, args=(urls,))
    t.start()
    t.join()
    print("fetched", fetched)
    return 0


if __name__ == "__main__":
    sys.exit(main())

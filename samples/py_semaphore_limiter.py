# py_semaphore_limiter.py - a threading.Semaphore limits concurrency: correct.
#
# Eight download workers share a connection pool of three: each acquires the
# semaphore `slots` (threading.Semaphore(3)) before a download and releases it
# after.  At most three workers are inside at once; the others wait their
# turn.  A Lock protects the in-flight counter that measures this.
#
# threading.Semaphore is written in Python on a Condition and a Lock: a worker
# that finds no slot waits in Condition.wait() on a fresh lock that another
# worker's release() frees.  A semaphore has no owner and its count goes up and
# down from any thread: none of this is a lock-order problem or a misuse.
#
# Twin of: py_semaphore_leak.py (an error path keeps its slot).
#
# concwatch-expect: clean

import sys
import threading
import time

WORKERS = 8
POOL = 3

slots = threading.Semaphore(POOL)
stats_lock = threading.Lock()
in_flight = max_in_flight = downloads = 0


def download(worker_id):
    global in_flight, max_in_flight, downloads
    with stats_lock:
        in_flight += 1
        max_in_flight = max(max_in_flight, in_flight)
    time.sleep(0.002 + worker_id * 0.0001)  # 2-3 ms
    with stats_lock:
        in_flight -= 1
        downloads += 1


def worker(worker_id):
    for _ in range(4):
        with slots:
            download(worker_id)


def main():
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("downloads: %d, at most %d at once (pool of %d)" % (downloads, max_in_flight, POOL))
    return 0 if downloads == WORKERS * 4 and max_in_flight <= POOL else 1


if __name__ == "__main__":
    sys.exit(main())

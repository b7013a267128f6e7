# py_abba_handed_back_lock.py - ABBA through a Lock that another thread gave back.
#
# A threading.Lock used as a token: main takes it for a worker, and the
# worker gives it back with token.release() when its job is done (a Lock,
# unlike an RLock, may be released by any thread: documented, and common in
# hand-off code).  Main holds the log lock while the job runs, and once the
# job is done takes the token again, inside the log lock.  Later a writer
# thread takes the token, then the log lock inside it: the two locks in
# opposite orders, a deadlock when the writer and main run at once (here one
# after the other: this run never hangs).  Main's second take of the token
# is a new acquire, not a re-entry of its first: the worker ended that hold.
#
# Correct twin: py_handed_back_lock_ordered.py (the token first, always).
#
# concwatch-expect: lock-order-inversion=1
# concwatch-expect-text: py_abba_handed_back_lock\.py:@line(inner)\b

import threading

token = threading.Lock()
log_lock = threading.Lock()
log = []


def job():
    log.append("job done")
    token.release()   # the token goes back: main's hold ends here


def writer():
    with token:
        with log_lock:
            log.append("written")


token.acquire()   # taken for the job
with log_lock:
    t = threading.Thread(target=job)
    t.start()
    t.join()
    with token:  # @inner
        log.append("checked")
t = threading.Thread(target=writer)
t.start()
t.join()
print(log)

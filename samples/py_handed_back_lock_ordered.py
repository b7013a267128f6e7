# py_handed_back_lock_ordered.py - the correct twin of py_abba_handed_back_lock.py.
#
# A threading.Lock used as a token: main takes it for a worker, and the
# worker gives it back with token.release() when its job is done (a Lock,
# unlike an RLock, may be released by any thread: documented, and common in
# hand-off code).  Main waits for the job, takes the token again and the log
# lock inside it; later a writer thread takes the token, then the log lock
# inside it: one order everywhere, nothing to report.
#
# Bug twin: py_abba_handed_back_lock.py.
#
# concwatch-expect: clean

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
t = threading.Thread(target=job)
t.start()
t.join()
with token:
    with log_lock:
        log.append("checked")
t = threading.Thread(target=writer)
t.start()
t.join()
print(log)

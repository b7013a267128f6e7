#!/usr/bin/env python3
"""py_locked_counter: 4 Python threads each do COUNT locked increments
(default 200 000) of one shared counter with `with lock: counter += 1`.
Under CPython every acquire is a sem_trywait (sem_wait when contended) and the
GIL is a pthread mutex + condvars, so this is the shim on an interpreter."""
import sys
import threading

count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
lock = threading.Lock()
counter = 0


def work():
    global counter
    for _ in range(count):
        with lock:
            counter += 1


threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if counter != 4 * count:
    sys.exit(f"py_locked_counter: counter {counter} != {4 * count}")

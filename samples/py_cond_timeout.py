# py_cond_timeout.py - waits that time out, on a Condition, a Queue and an
# Event: correct.
#
# A consumer polls a queue.Queue with get(timeout=...) and waits on a
# threading.Condition with a timeout that expires; main does the same before
# it finally puts an item.  Inside the standard library each of those waits
# takes a private "waiter" Lock, waits on it again, and re-takes the
# condition's lock while still holding the waiter: the waiter is a signal,
# not a lock, and no order between it and the condition's lock can deadlock.
# Nothing here is a bug.
#
# concwatch-expect: clean

import queue
import threading

jobs = queue.Queue()
changed = threading.Condition()
done = threading.Event()


def consumer():
    got = 0
    while got < 1:
        try:
            jobs.get(timeout=0.05)
            got += 1
        except queue.Empty:
            with changed:
                changed.wait(timeout=0.02)
    done.set()


worker = threading.Thread(target=consumer)
worker.start()
with changed:
    changed.wait(timeout=0.1)   # nobody notifies: times out
done.wait(timeout=0.05)         # times out too
jobs.put("job")
worker.join()
print("done" if done.is_set() else "not done")

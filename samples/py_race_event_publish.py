# py_race_event_publish.py - a configuration published before an Event is
# set: correct.
#
# Main starts two workers, then builds a Config object, sets its fields and
# stores it in the global `config`, and only then sets the Event `ready`.
# Each worker waits on `ready` before it reads `config` and its fields.
# Event.set() -> Event.wait() orders everything main did before set() before
# everything a worker does after wait(): the workers may well run before main
# has built anything, but they can only read it after.  Clean.
#
# concwatch-expect: clean

import sys
import threading


class Config:
    pass


config = None
ready = threading.Event()


def worker(seen, i):
    ready.wait()
    seen[i] = (config.name, config.retries)


def main():
    global config
    seen = [None, None]
    threads = [threading.Thread(target=worker, args=(seen, i)) for i in range(2)]
    for t in threads:
        t.start()
    c = Config()
    c.name = "prod"
    c.retries = 3
    config = c
    ready.set()
    for t in threads:
        t.join()
    print("seen:", seen)
    return 0 if seen == [("prod", 3), ("prod", 3)] else 1


if __name__ == "__main__":
    sys.exit(main())

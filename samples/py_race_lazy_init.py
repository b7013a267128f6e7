# py_race_lazy_init.py - lazy initialisation without a lock (check-then-act).
#
# get_config() builds the configuration the first time it is called:
# `if _config is None: _config = load()`.  Two worker threads call it.
# Whichever order they run in, one thread's check of `_config` is not
# ordered with the other's assignment: both may find None and both build
# it (two different objects handed out; the second one wins).  That is the
# race on the global `_config`, even in runs where one thread happened to
# finish before the other started.
#
# Correct twin: py_race_lazy_init_locked.py.
#
# concwatch-expect: data-race=1
# concwatch-expect-text: global '_config' of module __main__
# concwatch-expect-text: \bget_config [^ ]*py_race_lazy_init\.py:(@line(check)|@line(assign))\b

import sys
import threading

_config = None


def load():
    return {"workers": 4, "verbose": False}


def get_config():
    global _config
    if _config is None:  # @check
        _config = load()  # @assign
    return _config


def worker(results, i):
    results[i] = get_config()["workers"]


def main():
    results = [None, None]
    threads = [threading.Thread(target=worker, args=(results, i)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("workers:", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

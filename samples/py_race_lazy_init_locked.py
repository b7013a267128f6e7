# py_race_lazy_init_locked.py - lazy initialisation under a Lock: correct.
#
# The twin of py_race_lazy_init.py: get_config() checks and builds the
# configuration inside `with _config_lock:`, so exactly one thread builds
# it and every other one is ordered after that build.  Clean.
#
# concwatch-expect: clean

import sys
import threading

_config = None
_config_lock = threading.Lock()


def load():
    return {"workers": 4, "verbose": False}


def get_config():
    global _config
    with _config_lock:
        if _config is None:
            _config = load()
        return _config


def worker(results, i):
    results[i] = get_config()


def main():
    results = [None, None]
    threads = [threading.Thread(target=worker, args=(results, i)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("same object:", results[0] is results[1])
    return 0 if results[0] is results[1] else 1


if __name__ == "__main__":
    sys.exit(main())

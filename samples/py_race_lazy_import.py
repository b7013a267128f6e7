# py_race_lazy_import.py - two threads import a module lazily, inside the
# function that uses it: correct.
#
# Each worker runs `import lazy_settings` (samples/pymodules/) the first
# time it needs it, then reads the module's globals and tables.  The module
# fills them while it is imported; the import system makes every other
# importer wait for that, or find the module complete.  No lock of the
# program's own orders the module's writes before the other worker's reads,
# but the import does: clean (a detector that knows no imports reports the
# module's globals as raced).
#
# concwatch-expect: clean

import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pymodules"))


def worker(out, i):
    import lazy_settings
    out[i] = lazy_settings.LIMITS["k3"] + len(lazy_settings.NAME)


def main():
    out = [0, 0]
    threads = [threading.Thread(target=worker, args=(out, i)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("out:", out)
    return 0 if out == [11, 11] else 1


if __name__ == "__main__":
    sys.exit(main())

# A module of settings that samples/py_race_lazy_import.py imports lazily,
# from two threads at once: its globals are filled while it is imported.
import time

LIMITS = {}
for _n in range(50):
    LIMITS["k%d" % _n] = _n


def _load_name():
    global NAME
    NAME = "settings"


_load_name()
time.sleep(0.02)   # a slow import: the other thread's import waits for it

#!/usr/bin/env python3
"""py_racy_counter: 4 Python threads each update shared state COUNT times
(default 200 000) with no lock: `total += 1` on a global, `stats.hits += 1`
on an attribute of a shared object and `seen[key] = seen.get(key, 0) + 1`
on one of 8 keys of a shared dict.  Racy on purpose (under concwatch: a
data-race finding for each of the three, exit 66); the Python race checks
follow every one of those accesses, reported or not."""
import sys
import threading

count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
total = 0


class Stats:
    def __init__(self):
        self.hits = 0


stats = Stats()
seen = {}
keys = ["k%d" % i for i in range(8)]


def work():
    global total
    for i in range(count):
        total += 1
        stats.hits += 1
        key = keys[i & 7]
        seen[key] = seen.get(key, 0) + 1


threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("total", total, "hits", stats.hits, "seen", sum(seen.values()))

# py_deep_nesting.py - deeply nested lists and dicts built and dropped by workers: correct.
#
# Two workers each parse a deeply nested document (a list in a list, and a
# dict in a dict, 100 000 levels, as a JSON or S-expression parser builds
# for hostile input) and drop it.  CPython frees such a structure without
# recursing 100 000 levels deep: past a depth, its "trashcan" puts objects
# aside and frees them in a loop.  A detector that watches lists and dicts
# go (to tell a new object from an old one at the same address) must keep
# that working, or the program dies of a C stack overflow.  Nothing here is
# a bug: nothing to report, and the program ends normally.
#
# concwatch-expect: clean

import threading

DEPTH = 100000


def parse(kind, out, index):
    doc = [] if kind == "list" else {}
    for _ in range(DEPTH):
        doc = [doc] if kind == "list" else {"child": doc}
    depth = 0
    node = doc
    while node:
        node = node[0] if kind == "list" else node["child"]
        depth += 1
    out[index] = depth
    del doc, node   # the whole structure goes at once


depths = [0, 0]
workers = [threading.Thread(target=parse, args=(kind, depths, i)) for i, kind in enumerate(("list", "dict"))]
for w in workers:
    w.start()
for w in workers:
    w.join()
print("depths", depths)

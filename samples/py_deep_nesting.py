# py_deep_nesting.py - deeply nested lists and dicts built and dropped by workers: correct.
#
# Two workers each parse a deeply nested document (a list in a list, and a
# dict in a dict, 100 000 levels, as a JSON or S-expression parser builds
# for hostile input) and drop it; a third builds trees of Node, a subclass
# of list, 60 levels deep, and drops them (the program checks that the Node
# class keeps its reference count: a subclass's object must not be freed
# twice).  CPython frees such a structure without
# recursing 100 000 levels deep: past a depth, its "trashcan" puts objects
# aside and frees them in a loop.  A detector that watches lists and dicts
# go (to tell a new object from an old one at the same address) must keep
# that working, or the program dies of a C stack overflow.  Nothing here is
# a bug: nothing to report, and the program ends normally.
#
# concwatch-expect: clean

import sys
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


class Node(list):
    pass


def build_trees(out, index):
    before = sys.getrefcount(Node)
    for _ in range(200):
        tree = Node()
        for _ in range(60):
            tree = Node([tree])
        del tree
    out[index] = sys.getrefcount(Node) - before


depths = [0, 0, 0]
workers = [threading.Thread(target=parse, args=(kind, depths, i)) for i, kind in enumerate(("list", "dict"))]
workers.append(threading.Thread(target=build_trees, args=(depths, 2)))
for w in workers:
    w.start()
for w in workers:
    w.join()
print("depths", depths[:2], "Node references lost:", depths[2])
sys.exit(0 if depths[2] == 0 else 1)

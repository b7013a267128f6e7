#!/usr/bin/env python3
"""Checks that the source tree keeps its architecture.

The folders are layers.  Inside the watched program (the LD_PRELOAD shim):

    preload -> hangs | pyraces -> races -> events -> stacks | analysis -> common
                                                    stacks -> python -> common

(python/ is the CPython runtime binding: stacks and everything above it
may use it; analysis/ stays pure)

and in the launcher, after the program ran:

    launcher -> report -> common

A file may include headers of its own folder and of the folders below it,
never one above it or beside it (hangs and races know nothing of each
other; the runtime and the launcher share only common/).  Also checked:

  - no include cycle between files;
  - one include style: a header of the same folder by its bare name
    ("lock_table.h"), any other by its folder ("events/lock_table.h"),
    never by a relative path ("../events/lock_table.h");
  - one header-guard style: CW_<FILE>_H;
  - the build agrees with the tree: every .c of a folder is listed in that
    folder's CMakeLists.txt.

Usage: check_layers.py [SOURCE_ROOT]     exit status 1 on any violation.
"""
import os
import re
import sys

# folder -> the folders its files may include (besides its own)
ALLOWED = {
    "preload": {"hangs", "races", "pyraces", "events", "stacks", "analysis", "python", "common"},
    "hangs": {"events", "stacks", "analysis", "python", "common"},
    "races": {"events", "stacks", "analysis", "python", "common"},
    # Python data races: the bytecode accesses of a CPython program, judged
    # by races/' happens-before engine (hangs and races/ know nothing of it).
    "pyraces": {"races", "events", "stacks", "analysis", "python", "common"},
    "events": {"stacks", "analysis", "python", "common"},
    "stacks": {"python", "common"},
    "analysis": {"common"},
    # The CPython runtime binding (version, C API by dlsym, struct layout):
    # below stacks, which shows Python frames, and beside analysis, which is
    # pure and knows no runtime.
    "python": {"common"},
    "common": set(),
    "launcher": {"report", "common"},
    "report": {"common"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
GUARD = re.compile(r"^\s*#ifndef\s+(\S+)", re.M)


def folder_of(root, path):
    rel = os.path.relpath(path, root)
    parts = rel.split(os.sep)
    if parts[0] == "detector":
        return parts[1]
    return parts[0]


def sources(root):
    for top in ("detector", "preload"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if name.endswith((".c", ".h", ".inc")):
                    yield os.path.join(dirpath, name)


def resolve(root, path, inc):
    """The file an include names, or None (a system-like header)."""
    here = os.path.dirname(path)
    candidates = [os.path.join(here, inc), os.path.join(root, "detector", inc), os.path.join(root, inc)]
    for c in candidates:
        if os.path.isfile(c):
            return os.path.normpath(c)
    return None


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    problems = []
    graph = {}
    files = list(sources(root))
    for path in files:
        rel = os.path.relpath(path, root)
        mine = folder_of(root, path)
        if mine not in ALLOWED:
            problems.append(f"{rel}: folder '{mine}' is not a known layer (add it to tests/check_layers.py)")
            continue
        text = open(path, encoding="utf-8").read()
        graph[path] = []
        for inc in INCLUDE.findall(text):
            target = resolve(root, path, inc)
            if target is None:
                problems.append(f"{rel}: includes \"{inc}\", which is not in the tree")
                continue
            graph[path].append(target)
            theirs = folder_of(root, target)
            if ".." in inc.split("/"):
                problems.append(f"{rel}: includes \"{inc}\" by a relative path (write \"{theirs}/{os.path.basename(inc)}\")")
            if theirs == mine:
                if "/" in inc:
                    problems.append(f"{rel}: includes \"{inc}\" of its own folder by path (write \"{os.path.basename(inc)}\")")
                continue
            if "/" not in inc:
                problems.append(f"{rel}: includes \"{inc}\" of {theirs}/ by its bare name (write \"{theirs}/{inc}\")")
            if theirs not in ALLOWED[mine]:
                problems.append(f"{rel}: {mine}/ includes {theirs}/{os.path.basename(target)}: "
                                f"{theirs}/ is not below {mine}/")
        if path.endswith(".h"):
            guard = GUARD.search(text)
            want = "CW_" + re.sub(r"\W", "_", os.path.basename(path)[:-2]).upper() + "_H"
            if not guard or guard.group(1) != want:
                problems.append(f"{rel}: header guard {guard.group(1) if guard else '(none)'}, want {want}")

    # Include cycles between files (depth-first search, three colours).
    colour = {}
    stack = []

    def visit(node):
        colour[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if colour.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                problems.append("include cycle: " + " -> ".join(os.path.relpath(c, root) for c in cycle))
            elif colour.get(nxt) is None:
                visit(nxt)
        stack.pop()
        colour[node] = 2

    for node in graph:
        if colour.get(node) is None:
            visit(node)

    # The build agrees with the tree.
    for path in files:
        if not path.endswith(".c"):
            continue
        cmake = os.path.join(os.path.dirname(path), "CMakeLists.txt")
        name = os.path.basename(path)
        if not os.path.isfile(cmake) or not re.search(r"(^|[\s(/])" + re.escape(name) + r"($|[\s)])",
                                                       open(cmake, encoding="utf-8").read(), re.M):
            problems.append(f"{os.path.relpath(path, root)}: not built by {os.path.relpath(cmake, root)}")

    for p in problems:
        print(p)
    print(f"check_layers: {len(files)} files, {sum(len(v) for v in graph.values())} includes, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Lists the CPython interpreters of this machine that the Python tests run under.

    find_pythons.py [--cmake] [EXTRA_INTERPRETER...]

Looks at pyenv's versions ($PYENV_ROOT, else ~/.pyenv: versions/*/bin/python3.X),
every python3.X on PATH (pyenv's shims included: each is asked for its real
executable) and the EXTRA interpreters given (CMake's Python3_EXECUTABLE).
Two paths to one executable count once.

Every supported minor version (3.10 to 3.13) is listed, found or not; any
other version found is listed too, as skipped.  One line per interpreter:

    label|status|executable|version|reason

  label    py3.11 (a second interpreter of the same minor version gets its
           full version: py3.11.2)
  status   run | skip
  reason   why it is skipped (not found, too old, too new, not CPython)

Without --cmake the same as a readable table.  Python 3 standard library only.
"""

import glob
import os
import subprocess
import sys

SUPPORTED = [(3, 10), (3, 11), (3, 12), (3, 13)]
PROBE = ("import sys, platform; print(platform.python_implementation()); "
         "print(sys.executable); print(platform.python_version())")


def candidates(extra):
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3.[0-9]*")))
    for d in os.environ.get("PATH", "").split(os.pathsep):
        found += sorted(glob.glob(os.path.join(d or ".", "python3.[0-9]*")))
    found += extra
    for path in found:
        name = os.path.basename(path)
        # python3.11, not python3.11-config or python3.11-gdb.py
        if name[len("python3."):].isdigit() and os.access(path, os.X_OK):
            yield path


def probe(path):
    try:
        out = subprocess.run([path, "-c", PROBE], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = out.stdout.split()
    if out.returncode != 0 or len(lines) != 3:
        return None   # e.g. a pyenv shim of a version that is not selected
    impl, exe, version = lines
    return impl, os.path.realpath(exe), version


def interpreters(extra):
    seen, result = set(), []
    for path in candidates(extra):
        p = probe(path)
        if not p or p[1] in seen:
            continue
        seen.add(p[1])
        impl, exe, version = p
        minor = tuple(int(x) for x in version.split(".")[:2])
        if impl != "CPython":
            status, reason = "skip", "%s %s is not CPython" % (impl, version)
        elif minor < SUPPORTED[0]:
            status, reason = "skip", "CPython %d.%d is older than 3.10, the oldest concwatch supports" % minor
        elif minor > SUPPORTED[-1]:
            status, reason = "skip", ("CPython %d.%d is newer than 3.13, the newest whose thread and frame "
                                      "layout and bytecode concwatch knows" % minor)
        else:
            status, reason = "run", ""
        result.append([minor, status, exe, version, reason])
    # Labels: py3.X, then the full version for a second one of the same minor.
    used = set()
    for r in result:
        label = "py%d.%d" % r[0]
        if label in used:
            label = "py" + r[3]
        n = 2
        while label in used:
            label = "py%s-%d" % (r[3], n)
            n += 1
        used.add(label)
        r.insert(0, label)
    for minor in SUPPORTED:
        if not any(r[1] == minor for r in result):
            result.append(["py%d.%d" % minor, minor, "skip", "", "",
                           "CPython %d.%d not found on this machine (looked in pyenv's versions and for "
                           "python%d.%d on PATH)" % (minor + minor)])
    result.sort(key=lambda r: (r[1], r[0]))
    return [(label, status, exe, version, reason) for label, _, status, exe, version, reason in result]


def main(argv):
    cmake = "--cmake" in argv
    extra = [a for a in argv if a != "--cmake"]
    for label, status, exe, version, reason in interpreters(extra):
        if cmake:
            print("|".join((label, status, exe, version, reason.replace("|", "/"))))
        else:
            print("%-10s %-4s %-8s %s%s" % (label, status, version or "-", exe or "", ("  (" + reason + ")") if reason else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

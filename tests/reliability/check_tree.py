#!/usr/bin/env python3
"""Findings from every process of a tree reach the one report.

    check_tree.py CONCWATCH PYTHON

Runs tests/reliability/py_process_tree.py under concwatch (multiprocessing
with fork, spawn and forkserver, a Pool, a subprocess chain, and a process
still running when the main program exits) and checks the JSON report: the
inversion every process commits (in `both_orders`) is one finding that names
all 7 processes by pid and command line, with exit status 66.

    check_tree.py --lost CONCWATCH PYTHON

The same with CONCWATCH_TREE_WAIT=0.5 and the late process waiting 4 s: the
launcher must say that it still runs and that its findings are lost, and
end without waiting for it.  Exit 0 pass, 1 failure.
"""
import json
import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import check_sample  # noqa: E402

SCRIPT = os.path.join(HERE, "py_process_tree.py")
# What each process's command line says (one process each).
EXPECTED = [
    ("the main script (a fork child, then a Pool worker)", re.compile(r"py_process_tree\.py$"), 2),
    ("a spawn child", re.compile(r"multiprocessing\.spawn import spawn_main"), 1),
    ("a forkserver child", re.compile(r"multiprocessing\.forkserver import main"), 1),
    ("the subprocess", re.compile(r"py_process_tree\.py child$"), 1),
    ("its own subprocess", re.compile(r"py_process_tree\.py grandchild$"), 1),
    ("the process still running at the end", re.compile(r"py_process_tree\.py late$"), 1),
]
NOTE = re.compile(r"^(?:also )?in process (\d+): (.*)$")


def frames_name(f, name):
    return any(fr.get("function") == name for s in f.get("stacks", []) for fr in s.get("frames", []))


def main(argv):
    lost = argv[0] == "--lost"
    if lost:
        argv = argv[1:]
        os.environ["CONCWATCH_TREE_WAIT"] = "0.5"
        os.environ["LATE_DELAY"] = "4"
    concwatch, python = argv
    with tempfile.TemporaryDirectory() as tmp:
        json_path = os.path.join(tmp, "report.json")
        started = time.monotonic()
        status, out, err = check_sample.run([concwatch, "--json", json_path, "--", python, SCRIPT], 120)
        elapsed = time.monotonic() - started
        err = check_sample.text(err)
        failures = []
        try:
            with open(json_path) as f:
                report = json.load(f)
        except (OSError, ValueError) as e:
            report = {"findings": []}
            failures.append("no usable JSON report: %s" % e)
        if status != 66:
            failures.append("exit status %s, want 66" % check_sample.describe_status(status))
        if status == 66 and not any(fr.get("python") for f in report["findings"] for s in f.get("stacks", [])
                                    for fr in s.get("frames", [])):
            # Which function a finding is in is told by its Python frames.
            print("SKIP: concwatch reads no Python stacks of %s (samples/py_abba has none either): "
                  "the findings cannot be told apart" % python)
            return 77
        mine = [f for f in report["findings"] if frames_name(f, "both_orders")]
        others = [f for f in report["findings"] if not frames_name(f, "both_orders")]
        if len(mine) != 1:
            failures.append("%d findings in both_orders, want 1 naming every process" % len(mine))
        procs = {}
        for f in mine:
            for n in f.get("notes", []):
                m = NOTE.match(n)
                if m:
                    procs[int(m.group(1))] = m.group(2)
        for what, rx, count in EXPECTED:
            if lost and "still running" in what:
                count = 0
            got = [p for p, cmd in procs.items() if rx.search(cmd)]
            if len(got) != count:
                failures.append("%s: %d processes named, want %d" % (what, len(got), count))
        if lost:
            m = re.search(r"concwatch: process (\d+) \([^)]*py_process_tree\.py late\) still runs [0-9.]+ s after "
                          r"the program ended: what it finds from now on is not reported", err)
            if not m:
                failures.append("no line says that the late process still runs and its findings are lost")
            elif not os.path.exists("/proc/%s" % m.group(1)):
                failures.append("the launcher waited for the late process (CONCWATCH_TREE_WAIT=0.5)")
            else:
                os.kill(int(m.group(1)), 9)   # started by the test's program, in a session of its own
        print("processes named in the finding:")
        for p, cmd in sorted(procs.items()):
            print("  %d: %s" % (p, cmd[:120]))
        if others:
            failures.append("%d other findings: %s" % (len(others), "; ".join(f.get("message", "?") for f in others)))
        if failures:
            print("FAIL (%.1f s)" % elapsed)
            for f in failures:
                print("  - " + f)
            print("--- stderr:\n" + check_sample.clip(err))
            return 1
        print("PASS (%.1f s)" % elapsed)
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

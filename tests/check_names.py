#!/usr/bin/env python3
"""Python lock names: right, or absent, never wrong.

    check_names.py CONCWATCH PYTHON SAMPLES_DIR [--require]

Runs samples/py_abba.py under concwatch with PYTHON.  Its two locks are the
`lock` attribute of two Account objects, made at the line marked `# @lock`
(found here, not hard-coded).  Every "  Mn is ..." line of the report must say
exactly that; with --require both must be there (the interpreters whose
Python creation stacks the shim records), without it a report that names no
lock passes too (it says which).  Python 3 standard library only.
"""
import re
import subprocess
import sys


def main():
    concwatch, python, samples = sys.argv[1:4]
    require = "--require" in sys.argv[4:]
    source = samples + "/py_abba.py"
    lines = open(source, encoding="utf-8").read().splitlines()
    made = [i + 1 for i, l in enumerate(lines) if l.strip().startswith("self.lock = threading.Lock()")]
    if len(made) != 1:
        print("FAIL: cannot find the line that makes the locks in %s" % source)
        return 1
    want = re.compile(r"^  M[12] is attribute `lock` of an Account object \(created at \S*py_abba\.py:%d\)$"
                      % made[0])
    proc = subprocess.run([concwatch, python, source], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120)
    err = proc.stderr.decode("utf-8", "replace")
    named = [l for l in err.splitlines() if re.match(r"^  M\d+ is ", l)]
    wrong = [l for l in named if not want.match(l)]
    problems = []
    if proc.returncode != 66:
        problems.append("exit %d, not 66" % proc.returncode)
    if wrong:
        problems.append("wrong names: %s" % wrong)
    if require and len(named) != 2:
        problems.append("%d lock names, want 2" % len(named))
    for p in problems:
        print("FAIL:", p)
    if problems:
        print(err[-4000:])
        return 1
    print("%s: %s" % (python, "both locks named" if named else "no lock named (no Python creation stacks)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks concwatch's binding to one CPython interpreter (detector/python/).

    check_python_binding.py --concwatch PATH --source-root DIR [--cc CC] -- PYTHON
    check_python_binding.py --skip REASON

  1. Under concwatch (CONCWATCH_PYTHON_DEBUG=1), a small threaded program
     runs clean, the shim recognises the version, and its direct reads of
     thread and frame structs pass their check against the C API (the
     shim's own line "direct reads checked against the C API ...: on"), with
     no "... off (...)" line.
  2. The shim's opcode table for this version (detector/python/py_bytecode.c)
     agrees with the interpreter's opcode.opmap.
  3. Where the interpreter's headers are installed (internal ones included),
     the shim's layout row (detector/python/py_runtime.c) agrees with the
     offsets compiled from them (tests/python/layout_check.c); otherwise the
     run-time check of step 1 is all there is, and this says so.

--skip prints REASON and exits 77 (CTest's SKIP_RETURN_CODE): an interpreter
that is not on this machine, or not supported.
Exit status: 0 pass, 1 failure, 2 usage error, 77 skipped.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

PROGRAM = r"""
import threading, queue
a, b = threading.Lock(), threading.RLock()
q = queue.Queue()
def work():
    with a:
        with b:
            q.put(1)
    if a.acquire(False):
        a.release()
t = threading.Thread(target=work)
t.start()
q.get()
t.join()
"""

# opcode table field -> opcode name
OPCODES = {
    "cache": "CACHE", "extended_arg": "EXTENDED_ARG", "load_const": "LOAD_CONST",
    "load_attr": "LOAD_ATTR", "load_method": "LOAD_METHOD", "load_global": "LOAD_GLOBAL",
    "load_name": "LOAD_NAME", "call_method": "CALL_METHOD", "call_function": "CALL_FUNCTION",
    "call_function_kw": "CALL_FUNCTION_KW", "precall": "PRECALL", "kw_names": "KW_NAMES",
    "call": "CALL", "call_kw": "CALL_KW",
}


def c_rows(path, struct_start):
    """The designated-initializer rows of a C table: [{field: int}], by version."""
    text = open(path, encoding="utf-8").read()
    body = text[text.index(struct_start):]
    body = body[:body.index("};")]
    rows = {}
    for block in re.findall(r"\{([^{}]*)\}", body):
        fields = dict((k, v) for k, v in re.findall(r"\.(\w+)\s*=\s*([-\w]+)", block))
        if "version" not in fields:
            continue
        row = {}
        for k, v in fields.items():
            row[k] = int(v, 0) if re.match(r"^-?(0x[0-9a-fA-F]+|\d+)$", v) else v
        rows[row["version"]] = row
    return rows


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kw)


def check_runtime(concwatch, python, problems):
    env = dict(os.environ, CONCWATCH_PYTHON_DEBUG="1")
    r = run([concwatch, "-q", "--", python, "-c", PROGRAM], env=env)
    lines = [l for l in r.stderr.splitlines() if l.startswith("concwatch: ")]
    for l in lines:
        print("  " + l)
    if r.returncode != 0:
        problems.append("the program exited %d under concwatch, want 0:\n%s" % (r.returncode, r.stderr))
    if not any("direct reads checked against the C API" in l and l.endswith(": on") for l in lines):
        problems.append("the shim did not report its direct reads checked and on")
    for l in lines:
        if re.search(r" off \(", l):
            problems.append("a Python feature is off: " + l)


def check_opcodes(root, python, version, problems):
    rows = c_rows(os.path.join(root, "detector/python/py_bytecode.c"), "static const opcode_table tables[]")
    row = rows.get(version)
    if not row:
        problems.append("py_bytecode.c has no opcode table for 0x%04X" % version)
        return
    r = run([python, "-c", "import opcode, json; print(json.dumps(opcode.opmap))"])
    opmap = eval(r.stdout) if r.returncode == 0 else {}
    for field, name in OPCODES.items():
        want = opmap.get(name, -1)
        if want >= 256:
            want = -1   # a pseudo-instruction: never in co_code
        got = row.get(field, -1)
        if got != want:
            problems.append("opcode table: %s is %d, opcode.opmap[%r] is %d" % (field, got, name, want))
    print("  opcode table for 0x%04X: %s" % (version, "agrees with opcode.opmap" if not problems else "differs"))


def check_layout(root, python, version, cc, problems):
    rows = c_rows(os.path.join(root, "detector/python/py_runtime.c"), "static const cw_py_layout layouts[]")
    row = rows.get(version)
    if not row:
        problems.append("py_runtime.c has no layout row for 0x%04X" % version)
        return
    r = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['include'])"])
    inc = r.stdout.strip()
    internal = os.path.join(inc, "internal")
    if r.returncode != 0 or not os.path.isfile(os.path.join(internal, "pycore_interp.h")):
        print("  layout row: not compared with headers (%s has no internal headers installed); "
              "checked at run time only" % (inc or "the interpreter"))
        return
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "layout_check")
        c = run([cc, "-I" + inc, "-I" + internal, "-o", exe, os.path.join(root, "tests/python/layout_check.c")])
        if c.returncode != 0:
            problems.append("tests/python/layout_check.c does not compile against %s:\n%s" % (inc, c.stderr[-2000:]))
            return
        out = run([exe]).stdout
    fields = dict(l.split("=", 1) for l in out.split())
    for k, v in fields.items():
        want = int(v, 0)
        if row.get(k, -1) != want:
            problems.append("layout row: %s is %s, the headers say %d" % (k, row.get(k), want))
    print("  layout row for 0x%04X: compared with the headers in %s: %s"
          % (version, inc, "agrees" if not problems else "differs"))


def main(argv):
    if "--" in argv:
        cut = argv.index("--")
        own, command = argv[:cut], argv[cut + 1:]
    else:
        own, command = argv, []
    p = argparse.ArgumentParser()
    p.add_argument("--concwatch")
    p.add_argument("--source-root")
    p.add_argument("--cc", default="cc")
    p.add_argument("--skip")
    args = p.parse_args(own)
    if args.skip:
        print("skipped: " + args.skip)
        return 77
    if not args.concwatch or not args.source_root or len(command) != 1:
        print("usage: check_python_binding.py --concwatch PATH --source-root DIR -- PYTHON", file=sys.stderr)
        return 2
    python = command[0]
    r = run([python, "-c", "import sys; print(sys.version_info[0] << 8 | sys.version_info[1])"])
    version = int(r.stdout)
    problems = []
    check_runtime(args.concwatch, python, problems)
    check_opcodes(args.source_root, python, version, problems)
    check_layout(args.source_root, python, version, args.cc, problems)
    if problems:
        print("FAIL %s" % python)
        for pr in problems:
            print("  - " + pr.replace("\n", "\n    "))
        return 1
    print("PASS %s" % python)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

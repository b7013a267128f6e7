#!/usr/bin/env python3
"""The Python race checks' behaviour around the samples, under one CPython.

    check_python_races.py --concwatch PATH --samples DIR -- PYTHON

  1. CONCWATCH_RACES=0 turns them off: the racy counter runs clean.
  2. --suppressions `race:` lines match Python files and functions: the
     counter's race is dropped by its file or by one of its functions, and
     kept by a rule that matches neither.
  3. A program that installs its own tracer keeps working.  Its tracer on
     the main thread only: it sees its events, the race between two
     untraced workers is still found.  Its tracer on every thread
     (threading.settrace): 3.10 and 3.11 have one trace function per thread,
     so concwatch steps aside in those threads (one line says so) and the
     program's tracer sees everything; 3.12+ keeps both (sys.monitoring),
     the race is found and no line is printed.
  4. 3.12+: a program that takes concwatch's sys.monitoring tool id gets it
     (one line says concwatch stepped aside).
  5. coverage.py (where this interpreter has it: Debian's python3-coverage)
     runs a racy program to the end with its data written, under concwatch.
  6. With CONCWATCH_PYTHON_RACE_STDLIB=1 a threaded workload through much of
     the standard library (tests/python/stdlib_workload.py) runs right, the
     checks stay on (3.12+: every stack depth computed for a call agrees with
     the interpreter's), and no race is reported in the workload's own code
     (the library's own caches, re's for one, are real races and may be).

Exit status: 0 pass, 1 failure, 2 usage error.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

TRACED = r"""
import sys, threading
events = {}
def tracer(frame, event, arg):
    if frame.f_code.co_name in ("add", "subtract", "main"):
        events[threading.current_thread().name] = events.get(threading.current_thread().name, 0) + 1
    return tracer
total = 0
def add():
    global total
    for _ in range(500):
        total += 1
def subtract():
    global total
    for _ in range(500):
        total -= 1
def main():
    if MODE == "all":
        threading.settrace(tracer)
    sys.settrace(tracer)
    threads = [threading.Thread(target=add, name="adder"), threading.Thread(target=subtract, name="subtracter")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sys.settrace(None)
    want = {"MainThread"} | ({"adder", "subtracter"} if MODE == "all" else set())
    good = set(events) == want and all(n > 10 or k == "MainThread" for k, n in events.items())
    print("tracer", "ok" if good else "bad", sorted(events.items()))
main()
"""

TOOL_ID = r"""
import sys, threading
for tool in (4, 3):
    sys.monitoring.use_tool_id(tool, "mine")
    sys.monitoring.free_tool_id(tool)
n = 0
def work():
    global n
    with lock:
        n += 1
lock = threading.Lock()
ts = [threading.Thread(target=work) for _ in range(2)]
for t in ts: t.start()
for t in ts: t.join()
print("n", n)
"""

STEP_ASIDE = re.compile(r"^concwatch: .*stepped aside", re.M)


def run(argv, env=None, timeout=120):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, **(env or {})), stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout, r.stderr


def findings(path):
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    return report, [f["kind"] for f in report.get("findings", [])]


class Checker:
    def __init__(self, args, workdir):
        self.args = args
        self.dir = workdir
        self.problems = []
        self.python = args.command[0]
        self.version = tuple(int(x) for x in run([self.python, "-c",
                             "import sys; print(*sys.version_info[:2])"])[1].split())

    def concwatch(self, extra, program, env=None, name="report"):
        report = os.path.join(self.dir, name + ".json")
        status, out, err = run([self.args.concwatch, "-q", "--json", report] + extra + ["--", self.python] + program,
                               env=env)
        rep, kinds = findings(report) if os.path.exists(report) else (None, None)
        return status, out, err, rep, kinds

    def expect(self, ok, what, err=""):
        print("  %s %s" % ("ok  " if ok else "FAIL", what))
        if not ok:
            self.problems.append(what + ("\n--- stderr:\n" + err[-3000:] if err else ""))

    def races_off(self):
        counter = os.path.join(self.args.samples, "py_race_counter.py")
        status, _, err, _, kinds = self.concwatch([], [counter], env={"CONCWATCH_RACES": "0"}, name="off")
        self.expect(status == 0 and kinds == [], "CONCWATCH_RACES=0: the racy counter runs clean (exit %s, %s)"
                    % (status, kinds), err)

    def races_header(self):
        # The report says how races were looked for: the Python checks, not the C watchpoints
        # (off in CPython), whichever of the two says it first.
        counter = os.path.join(self.args.samples, "py_race_counter.py")
        status, _, err, rep, kinds = self.concwatch([], [counter], name="on")
        method = ((rep or {}).get("races") or {}).get("method")
        self.expect(status == 66 and "data-race" in (kinds or []) and method == "Python checks",
                    "the racy counter: a data-race, and the report says races were looked for by the "
                    "Python checks (exit %s, %s, method %r)" % (status, kinds, method), err)
        status, _, err, rep, _ = self.concwatch([], [counter], env={"CONCWATCH_RACES": "0"}, name="off2")
        method = ((rep or {}).get("races") or {}).get("method")
        self.expect(method == "off", "CONCWATCH_RACES=0: the report says races are off (method %r)" % method, err)

    def suppressions(self):
        counter = os.path.join(self.args.samples, "py_race_counter.py")
        for rule, dropped in (("race:py_race_counter.py", True), ("race:subtract", True),
                              ("race:no_such_function", False)):
            supp = os.path.join(self.dir, "supp")
            with open(supp, "w") as f:
                f.write(rule + "\n")
            status, _, err, rep, kinds = self.concwatch(["--suppressions", supp], [counter], name="supp")
            if dropped:
                ok = status == 0 and kinds == [] and rep and rep.get("suppressed") == 1
            else:
                ok = status == 66 and kinds == ["data-race"]
            self.expect(ok, "--suppressions %r %s the race (exit %s, %s)"
                        % (rule, "drops" if dropped else "keeps", status, kinds), err)

    def own_tracer(self):
        for mode in ("main", "all"):
            prog = os.path.join(self.dir, "traced_%s.py" % mode)
            with open(prog, "w") as f:
                f.write("MODE = %r\n" % mode + TRACED)
            status, out, err, _, kinds = self.concwatch([], [prog], name="traced")
            lines = STEP_ASIDE.findall(err)
            aside = mode == "all" and self.version < (3, 12)
            want_kinds = [] if aside else ["data-race"]
            self.expect(kinds == want_kinds and status == (66 if want_kinds else 0) and "tracer ok" in out,
                        "the program's own tracer on %s: it works (%s), %s (exit %s, %s)"
                        % ("every thread" if mode == "all" else "the main thread", out.strip(),
                           "race found" if want_kinds else "no check in its threads", status, kinds), err)
            self.expect(len(lines) == (1 if self.version < (3, 12) else 0),
                        "%s 'stepped aside' line(s), want %d" % (len(lines), 1 if self.version < (3, 12) else 0),
                        err)

    def tool_id(self):
        if self.version < (3, 12):
            return
        prog = os.path.join(self.dir, "tool_id.py")
        with open(prog, "w") as f:
            f.write(TOOL_ID)
        status, out, err, _, kinds = self.concwatch([], [prog], name="tool")
        self.expect(status == 0 and "n 2" in out and len(STEP_ASIDE.findall(err)) == 1,
                    "a program that takes concwatch's sys.monitoring tool id gets it, one line (exit %s)" % status,
                    err)

    def coverage(self):
        if run([self.python, "-c", "import coverage"])[0] != 0:
            print("  skip coverage.py: not installed for %s" % self.python)
            return
        counter = os.path.join(self.args.samples, "py_race_counter.py")
        data = os.path.join(self.dir, "coverage.data")
        status, out, err, _, kinds = self.concwatch([], ["-m", "coverage", "run", "--data-file=" + data, counter],
                                                    name="coverage")
        rs, rout, _ = run([self.python, "-m", "coverage", "report", "--data-file=" + data])
        self.expect(status in (0, 66) and "total: 0" in out and rs == 0 and "py_race_counter" in rout,
                    "coverage.py runs the counter under concwatch and reports it (exit %s, %s)" % (status, kinds),
                    err + rout)


    def stdlib_watched(self):
        workload = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python", "stdlib_workload.py")
        status, out, err, rep, kinds = self.concwatch(
            [], [workload], env={"CONCWATCH_PYTHON_RACE_STDLIB": "1", "CONCWATCH_PYTHON_DEBUG": "1"}, name="stdlib")
        summary = re.search(r"(\d+) stack depths checked against the interpreter \((\d+) differed\)", err)
        checked, differed = (int(summary.group(1)), int(summary.group(2))) if summary else (0, -1)
        own = [f for f in (rep or {}).get("findings", [])
               if f.get("kind") != "data-race" or any(fr.get("file", "").endswith("stdlib_workload.py")
                                                     for s in f.get("stacks", [])[:1]
                                                     for fr in s.get("frames", [])[:1])]
        self.expect(out.strip() == "4400" and status in (0, 66) and not re.search(r" off \(", err) and
                    differed == 0 and (checked > 50 or self.version < (3, 12)) and not own,
                    "the standard library followed too: right output (%s), checks on, %d stack depths checked, "
                    "%d differed, %d finding(s) in the workload's own code"
                    % (out.strip(), checked, differed, len(own)), err)


def main(argv):
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    cut = argv.index("--")
    p = argparse.ArgumentParser()
    p.add_argument("--concwatch", required=True)
    p.add_argument("--samples", required=True)
    args = p.parse_args(argv[:cut])
    args.command = argv[cut + 1:]
    if len(args.command) != 1:
        print("one interpreter after --", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="check_python_races.") as d:
        c = Checker(args, d)
        print("CPython %d.%d, %s" % (c.version + (c.python,)))
        c.races_off()
        c.races_header()
        c.suppressions()
        c.own_tracer()
        c.tool_id()
        c.coverage()
        c.stdlib_watched()
    if c.problems:
        print("FAIL")
        for pr in c.problems:
            print("  - " + pr.replace("\n", "\n    "))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

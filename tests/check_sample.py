#!/usr/bin/env python3
"""Run one sample under concwatch and check it against its stated expectation.

    check_sample.py --concwatch PATH --source samples/x.c [--timeout 60] -- BINARY [ARGS...]
    check_sample.py --concwatch PATH --source samples/x.py -- PYTHON samples/x.py
    check_sample.py --native [--timeout 30] [--python PYTHON]
                    [--exits-zero PROGRAM...] [--hangs PROGRAM...]

Under concwatch (first two forms), the sample's source carries its expectation
in its first comment lines (in a C sample; a Python sample, x.py, writes the
same lines with '#' in place of '//'):

    // concwatch-expect: clean
    // concwatch-expect: misuse=1,lock-order-inversion=1
    // concwatch-expect-text: <Python regex>     (zero or more)

For a Python sample the program run under concwatch is the interpreter, with
the sample's path as its argument.

The expectation is a fact about the program: what a perfect detector must
report for this run.  The check passes when
  * concwatch ends within --timeout seconds (else: "hung: concwatch did not
    end the program"), with exit status 66 if any finding is expected, else 0;
  * its JSON report (--json) has the documented shape and holds EXACTLY the
    expected number of findings of each kind (an unexpected kind is a failure);
  * every finding has at least one stack, and one of its frames names the
    sample's source file with a line number (it is symbolized: for a C sample
    a native frame, for a Python sample a Python frame, "python": true, whose
    file is the sample's .py path);
  * every expect-text regex matches the text report on stderr.  In a regex,
    @line(NAME) stands for the number of the source line that carries the
    comment /* @NAME */ (in a .py sample: a line ending in the comment
    # @NAME), so a test can name a line without hard-coding it.

With --race-backend hardware|software the run is made with that way of
looking for data races forced (CONCWATCH_RACE_BACKEND), and the report must
say it was used ("races": {"method": ...}); when the hardware one is off on
this host (its start-up probe failed: debug registers granted but silent,
or refused) the check is skipped (exit 77) with the report's reason.

Natively (last form), each --exits-zero program must exit 0 within --timeout
seconds, and each --hangs program must still be running after --hang-window
seconds (it is then killed): the samples are real programs and the hanging
ones really hang.  A PROGRAM ending in .py is run by --python (default: the
interpreter running this script).

Exit status: 0 pass, 1 failure, 2 usage or sample-format error, 77 skipped.
Python 3 standard library only.
"""

import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

KINDS = ("self-deadlock", "lock-order-inversion", "deadlock", "data-race", "misuse")
FINDING_EXIT = 66
OUTPUT_LIMIT = 20000  # characters of stderr/JSON shown on failure


class SampleError(Exception):
    """The sample source or the command line is malformed (exit 2)."""


class CannotRun(Exception):
    """A program could not be started (a failure: exit 1)."""


# --- the sample's expectation ------------------------------------------------

class Syntax:
    """How a sample's language writes the expectation lines and line markers."""

    def __init__(self, comment, marker, marker_text):
        self.expect = re.compile(r"^\s*%s\s*concwatch-expect:(.*)$" % comment)
        self.expect_text = re.compile(r"^\s*%s\s*concwatch-expect-text:\s?(.*?)\s*$" % comment)
        self.marker = re.compile(marker)
        self.comment = comment.replace("\\", "")
        self.marker_text = marker_text  # "%s" is the marker's name


C_SYNTAX = Syntax(r"//", r"/\*\s*@([A-Za-z_][A-Za-z0-9_-]*)\s*\*/", "/* @%s */")
# In Python the marker is a comment that ends its line: `with lock:  # @second`.
PY_SYNTAX = Syntax(r"#", r"#\s*@([A-Za-z_][A-Za-z0-9_-]*)\s*$", "# @%s")


def syntax_of(path):
    return PY_SYNTAX if path.endswith(".py") else C_SYNTAX


LINE_REF_RE = re.compile(r"@line\(([A-Za-z_][A-Za-z0-9_-]*)\)")


def parse_expect(value):
    """'clean' or 'kind=count,kind=count' -> {kind: count} (empty for clean)."""
    value = value.strip()
    if value == "clean":
        return {}
    expected = {}
    for item in value.split(","):
        kind, sep, count = item.strip().partition("=")
        kind, count = kind.strip(), count.strip()
        if not sep or kind not in KINDS or not count.isdigit() or int(count) < 1:
            raise SampleError(
                "bad concwatch-expect item %r (want 'clean' or kind=N with N >= 1, "
                "kind one of %s)" % (item.strip(), ", ".join(KINDS)))
        if kind in expected:
            raise SampleError("concwatch-expect names %s twice" % kind)
        expected[kind] = int(count)
    return expected


def read_sample(path):
    """Returns (expected counts, [expanded regex], source line count)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise SampleError("cannot read sample source: %s" % e)

    syntax = syntax_of(path)
    expects, texts, markers = [], [], {}
    for number, line in enumerate(lines, 1):
        m = syntax.expect.match(line)
        if m:
            expects.append(m.group(1))
        m = syntax.expect_text.match(line)
        if m:
            texts.append(m.group(1))
        for name in syntax.marker.findall(line):
            if name in markers:
                raise SampleError("marker %s is on lines %d and %d"
                                  % (syntax.marker_text % name, markers[name], number))
            markers[name] = number
    if len(expects) != 1:
        raise SampleError("%s: want exactly one '%s concwatch-expect:' line, found %d"
                          % (path, syntax.comment, len(expects)))

    def line_of(m):
        if m.group(1) not in markers:
            raise SampleError("@line(%s) used but no line carries %s"
                              % (m.group(1), syntax.marker_text % m.group(1)))
        return str(markers[m.group(1)])

    regexes = []
    for text in texts:
        if not text:
            raise SampleError("empty concwatch-expect-text line")
        expanded = LINE_REF_RE.sub(line_of, text)
        try:
            re.compile(expanded)
        except re.error as e:
            raise SampleError("bad concwatch-expect-text regex %r: %s" % (expanded, e))
        regexes.append(expanded)
    return parse_expect(expects[0]), regexes, len(lines)


# --- running, with a deadline --------------------------------------------------

def descendants(pid):
    """Pids of every live process below pid (from /proc)."""
    children = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1:
            children[int(fields[1])].append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc):
    """Kills a process we started, its process group and every descendant
    (the launcher may have moved the program to a group of its own)."""
    pids = descendants(proc.pid)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass


def start(argv, **kwargs):
    """Popen in a new session (so the whole tree can be ended); a program that
    cannot be started is a failure, reported by its caller."""
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True, **kwargs)
    except OSError as e:
        raise CannotRun("cannot run %s: %s" % (argv[0], e))


def run(argv, timeout, env=None):
    """Runs argv; returns (status, stdout, stderr), status None if it timed out
    (it is then killed) and -N if it died of signal N."""
    proc = start(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err
    except subprocess.TimeoutExpired:
        kill_tree(proc)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired as e:  # something we could not find keeps the pipes open
            proc.wait()
            out, err = e.stdout or b"", e.stderr or b""
        return None, out, err


def text(data):
    return data.decode("utf-8", "replace")


def clip(s):
    if len(s) <= OUTPUT_LIMIT:
        return s
    return s[:OUTPUT_LIMIT] + "\n[... %d more characters]" % (len(s) - OUTPUT_LIMIT)


def describe_status(status):
    if status is None:
        return "none (timed out)"
    if status < 0:
        return "killed by signal %d" % -status
    return str(status)


# --- checking the JSON report --------------------------------------------------

def check_shape(report, command):
    """Problems with the documented JSON shape, as a list of strings."""
    problems = []
    if not isinstance(report, dict):
        return ["the report is not a JSON object"]
    if report.get("tool") != "concwatch":
        problems.append("'tool' is %r, want \"concwatch\"" % report.get("tool"))
    if not isinstance(report.get("version"), str) or not report.get("version"):
        problems.append("'version' is missing or not a non-empty string")
    cmd = report.get("command")
    if not isinstance(cmd, list) or not all(isinstance(a, str) for a in cmd):
        problems.append("'command' is missing or not a list of strings")
    elif (len(cmd) != len(command) or os.path.basename(cmd[0]) != os.path.basename(command[0])
          or cmd[1:] != command[1:]):
        problems.append("'command' is %r, want the program and its arguments %r" % (cmd, command))
    status = report.get("exit_status")
    if not isinstance(status, int) or isinstance(status, bool):
        problems.append("'exit_status' is missing or not an integer")
    findings = report.get("findings")
    if not isinstance(findings, list):
        problems.append("'findings' is missing or not a list")
        return problems
    for i, f in enumerate(findings):
        where = "findings[%d]" % i
        if not isinstance(f, dict):
            problems.append("%s is not an object" % where)
            continue
        if f.get("kind") not in KINDS:
            problems.append("%s.kind is %r, want one of %s" % (where, f.get("kind"), ", ".join(KINDS)))
        if not isinstance(f.get("message"), str) or not f.get("message").strip():
            problems.append("%s.message is missing or empty" % where)
        stacks = f.get("stacks")
        if not isinstance(stacks, list):
            problems.append("%s.stacks is missing or not a list" % where)
            continue
        for j, s in enumerate(stacks):
            if not isinstance(s, dict) or not isinstance(s.get("frames"), list):
                problems.append("%s.stacks[%d].frames is missing or not a list" % (where, j))
                continue
            for k, fr in enumerate(s["frames"]):
                if not isinstance(fr, dict):
                    problems.append("%s.stacks[%d].frames[%d] is not an object" % (where, j, k))
        if "locks" in f and not isinstance(f["locks"], list):
            problems.append("%s.locks is not a list" % where)
    return problems


def names_source(frame, source, source_lines):
    """True if a frame is symbolized to a line of the sample's source file.
    For a Python sample that is a Python frame ("python": true), whose file is
    the script's path as the interpreter was given it (absolute or relative)."""
    file, line = frame.get("file"), frame.get("line")
    if source.endswith(".py") and frame.get("python") is not True:
        return False
    if not isinstance(file, str) or not isinstance(line, int) or isinstance(line, bool):
        return False
    if not 0 < line <= source_lines:
        return False
    if os.path.basename(file) != os.path.basename(source):
        return False
    if os.path.isabs(file) and os.path.exists(file):
        return os.path.samefile(file, source)
    return True  # relative (e.g. "samples/abba.c") or from another machine: the name is enough


def check_quality(findings, source, source_lines):
    problems = []
    for i, f in enumerate(findings):
        stacks = [s for s in f.get("stacks", []) if isinstance(s, dict)]
        frames = [fr for s in stacks for fr in s.get("frames", []) if isinstance(fr, dict)]
        label = "findings[%d] (%s)" % (i, f.get("kind"))
        if not stacks:
            problems.append("%s has no stack" % label)
        elif not any(names_source(fr, source, source_lines) for fr in frames):
            problems.append("%s: no frame names %s with a line number (unsymbolized, or the "
                            "stacks miss the program's own code)"
                            % (label, os.path.basename(source)))
    return problems


def count_table(expected, got):
    rows = ["  %-22s %8s %5s" % ("kind", "expected", "got")]
    for kind in KINDS + tuple(sorted(k for k in got if k not in KINDS)):
        e, g = expected.get(kind, 0), got.get(kind, 0)
        if e or g:
            rows.append("  %-22s %8d %5d%s" % (kind, e, g, "" if e == g else "   <-- differs"))
    if len(rows) == 1:
        rows.append("  (no findings expected, none reported)")
    return "\n".join(rows)


def format_expect(expected):
    if not expected:
        return "clean"
    order = [k for k in KINDS if k in expected] + sorted(k for k in expected if k not in KINDS)
    return ",".join("%s=%d" % (k, expected[k]) for k in order)


def check_under_concwatch(args, command):
    expected, regexes, source_lines = read_sample(args.source)
    name = os.path.basename(args.source)
    workdir = tempfile.mkdtemp(prefix="check_sample.")
    try:
        json_path = os.path.join(workdir, "report.json")
        argv = [args.concwatch, "--json", json_path, "--"] + command
        env = None
        if args.race_backend:
            env = dict(os.environ, CONCWATCH_RACE_BACKEND=args.race_backend)
        started = time.monotonic()
        status, out, err = run(argv, args.timeout, env)
        elapsed = time.monotonic() - started
        stderr = text(err)
        failures = []

        if status is None:
            failures.append("hung: concwatch did not end the program within %g s" % args.timeout)
        else:
            want = FINDING_EXIT if expected else 0
            if status != want:
                failures.append("exit status %s, want %d (%s)"
                                % (describe_status(status), want,
                                   "findings expected" if expected else "clean program"))

        report, got = None, {}
        raw = ""
        if os.path.exists(json_path):
            with open(json_path, encoding="utf-8", errors="replace") as f:
                raw = f.read()
            # A run killed at the deadline may not have written anything: "hung" says it all.
            if raw.strip() or status is not None:
                try:
                    report = json.loads(raw)
                except ValueError as e:
                    failures.append("the JSON report does not parse: %s" % e)
        elif status is not None:
            failures.append("no JSON report was written to %s" % json_path)

        if report is not None and args.race_backend:
            races = report.get("races") if isinstance(report, dict) else None
            method = races.get("method") if isinstance(races, dict) else None
            want = args.race_backend + " watchpoints"
            if method == "off" and args.race_backend == "hardware":
                print("SKIP %s: hardware watchpoints are off on this host: %s" % (name, races.get("detail")))
                return 77
            if method != want:
                failures.append("the report says races were looked for with %r, want %r (%r)"
                                % (method, want, races))
        if report is not None:
            failures += check_shape(report, command)
            findings = report.get("findings") if isinstance(report, dict) else None
            if isinstance(findings, list):
                findings = [f for f in findings if isinstance(f, dict)]
                got = collections.Counter(str(f.get("kind")) for f in findings)
                if dict(got) != expected:
                    failures.append("findings differ from the expectation (%s):\n%s"
                                    % (format_expect(expected), count_table(expected, got)))
                failures += check_quality(findings, args.source, source_lines)
                if not expected and report.get("exit_status") != 0:
                    failures.append("'exit_status' is %r for a clean run that exited 0"
                                    % report.get("exit_status"))

        # The tool's own failure (its shim crashed, deadlocked or turned
        # itself off) is never a pass, whatever the findings.
        for line in stderr.splitlines():
            if line.startswith("concwatch: internal error"):
                failures.append("concwatch failed inside the program: " + line)

        for rx in regexes if status is not None else []:
            if not re.search(rx, stderr):
                failures.append("the text report (stderr) does not match %r" % rx)

        if failures:
            print("FAIL %s (%.1f s): %s" % (name, elapsed, " ".join(command)))
            for f in failures:
                print("  - " + f.replace("\n", "\n    "))
            print("--- expected: %s; got: %s"
                  % (format_expect(expected),
                     format_expect(dict(got)) if report is not None else "(no usable JSON report)"))
            print("--- concwatch exit status: %s" % describe_status(status))
            print("--- concwatch stderr:\n" + clip(stderr))
            if out:
                print("--- program stdout:\n" + clip(text(out)))
            if raw:
                print("--- JSON report:\n" + clip(raw))
            return 1
        print("PASS %s (%.1f s): %s, exit %d%s"
              % (name, elapsed, format_expect(expected), status,
                 ", %d text check(s)" % len(regexes) if regexes else ""))
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# --- native runs -------------------------------------------------------------

def native_argv(program, python):
    """A .py sample is run by the interpreter; anything else is executed."""
    return [python, program] if program.endswith(".py") else [program]


def check_native(args):
    failures = 0
    for binary in args.exits_zero:
        try:
            status, out, err = run(native_argv(binary, args.python), args.timeout)
        except CannotRun as e:
            failures += 1
            print("FAIL  %s" % e)
            continue
        if status == 0:
            print("ok    %s exits 0" % binary)
            continue
        failures += 1
        print("FAIL  %s: exit status %s, want 0%s"
              % (binary, describe_status(status),
                 " (it hung: is it missing from CW_SAMPLES_HANG_NATIVELY?)" if status is None else ""))
        print("--- stderr:\n" + clip(text(err)))

    # The hanging ones run side by side: each must still be running at the end.
    procs = []
    for binary in args.hangs:
        try:
            procs.append((binary, start(native_argv(binary, args.python),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
        except CannotRun as e:
            failures += 1
            print("FAIL  %s" % e)
    if procs:
        time.sleep(args.hang_window)
    for binary, proc in procs:
        status = proc.poll()
        if status is None:
            kill_tree(proc)
            proc.communicate()
            print("ok    %s still blocked after %g s (killed)" % (binary, args.hang_window))
            continue
        failures += 1
        _, err = proc.communicate()
        print("FAIL  %s: exited (status %s) within %g s, but it is listed as hanging natively"
              % (binary, describe_status(status), args.hang_window))
        print("--- stderr:\n" + clip(text(err)))
    return 1 if failures else 0


def main(argv):
    if "--" in argv:
        cut = argv.index("--")
        own, command = argv[:cut], argv[cut + 1:]
    else:
        own, command = argv, []
    p = argparse.ArgumentParser(
        description="Check a sample under concwatch against its '// concwatch-expect:' line "
                    "('# concwatch-expect:' in a .py sample), or check samples' native behaviour.",
        usage="%(prog)s --concwatch PATH --source SAMPLE.c [--timeout SEC] -- BINARY [ARGS...]\n"
              "       %(prog)s --concwatch PATH --source SAMPLE.py [--timeout SEC] -- PYTHON SAMPLE.py\n"
              "       %(prog)s --native [--timeout SEC] [--python PYTHON] [--exits-zero PROGRAM...] "
              "[--hangs PROGRAM...] [--hang-window SEC]")
    p.add_argument("--concwatch", help="the concwatch launcher")
    p.add_argument("--source", help="the sample's source file, .c or .py (holds its expectation)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds before the run counts as hung (default 60; 30 natively)")
    p.add_argument("--race-backend", choices=("hardware", "software"),
                   help="force this way of looking for data races (CONCWATCH_RACE_BACKEND)")
    p.add_argument("--native", action="store_true", help="run samples without concwatch")
    p.add_argument("--exits-zero", nargs="+", default=[], metavar="PROGRAM",
                   help="(--native) programs that must exit 0")
    p.add_argument("--hangs", nargs="+", default=[], metavar="PROGRAM",
                   help="(--native) programs that must still be blocked after --hang-window")
    p.add_argument("--python", default=sys.executable,
                   help="(--native) the interpreter that runs PROGRAMs ending in .py "
                        "(default: this one)")
    p.add_argument("--hang-window", type=float, default=2.0,
                   help="(--native) seconds a hanging program must stay blocked (default 2)")
    args = p.parse_args(own)

    try:
        if args.native:
            if command or args.concwatch or args.source:
                raise SampleError("--native takes --exits-zero/--hangs programs, not "
                                  "--concwatch, --source or a command after --")
            if not args.exits_zero and not args.hangs:
                raise SampleError("--native needs --exits-zero and/or --hangs programs")
            args.timeout = 30.0 if args.timeout is None else args.timeout
            return check_native(args)
        if not args.concwatch or not args.source or not command:
            raise SampleError("need --concwatch PATH --source SAMPLE.c|SAMPLE.py -- PROGRAM [ARGS...]")
        args.timeout = 60.0 if args.timeout is None else args.timeout
        return check_under_concwatch(args, command)
    except SampleError as e:
        print("check_sample.py: %s" % e, file=sys.stderr)
        return 2
    except CannotRun as e:
        print("FAIL %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

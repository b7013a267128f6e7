#!/usr/bin/env python3
"""CPython's own threading test suites under concwatch, against the same run natively.

    bench/python_suites.py [--concwatch PATH] [--max-ratio 2] [--json FILE] [PYTHON...]

For each interpreter (default: every supported one tests/find_pythons.py finds,
pyenv's included), runs

    PYTHON -m test --junit-xml FILE test_threading test_thread test_queue
                   test_threading_local test_threadsignals

natively, then under `concwatch --json`, and checks that
  * every test case has the same outcome both ways (passed, failed, error,
    skipped), from the two JUnit files: tests that fail natively must fail
    the same way, no more and no fewer;
  * concwatch reported nothing but the known data races below (any other
    finding in CPython's own suites is a false alarm: their locking is
    correct), and the program's own exit status (the JSON report's) is the
    native one;
  * concwatch's wall time is at most --max-ratio (2) times the native one.
A test case that came out differently (at most 5 of them) is run again,
alone, both ways: if the two runs agree then, it is reported as flaky on this
machine and does not fail the check (CPython's threading tests are
timing-sensitive on a loaded machine).
One line per interpreter and a verdict; exit status 1 if any check failed, 0
otherwise.  Not a CTest test on this machine's four versions (about 3 minutes
each on 2 cores); CI runs one version of it (tests/CMakeLists.txt).

Test cases left out (-i), the same both ways, with why:
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

SUITES = ["test_threading", "test_thread", "test_queue", "test_threading_local", "test_threadsignals"]

# pattern -> why it is left out
IGNORED = {
    "test_print_exception_gh_102056":
        "hangs natively on the pyenv builds of CPython 3.12.1 and 3.13.0 here (an except* "
        "handler recursing until RecursionError; killed after 11 minutes of CPU)",
    "test_3_join_in_forked_from_thread":
        "concwatch's own helper threads keep the forked child alive after its last thread "
        "ends (the launcher's process-lifetime bug of issue 15, fixed separately): hangs",
}
__doc__ += "".join("  %s: %s\n" % kv for kv in IGNORED.items())

# Data races in the suites' own code that the Python race checks rightly
# report (a finding message containing the key), with where and why.
KNOWN_RACES = {
    "data race on global 'running' of module __main__":
        "test_threading's test_print_exception, test_print_exception_stderr_is_none_1 and _2 run a "
        "`-c` script whose thread sets the global `running` and spins on it while main polls it and "
        "clears it, with no lock or Event between them: a race by definition (the script works on "
        "CPython because each load and store is atomic)",
}
__doc__ += "\nData races in the suites' own code, reported and expected:\n"
__doc__ += "".join("  %s: %s\n" % kv for kv in KNOWN_RACES.items())


def is_known_race(finding):
    return finding.get("kind") == "data-race" and any(k in finding.get("message", "") for k in KNOWN_RACES)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def default_pythons():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "find_pythons.py"), "--cmake",
                          sys.executable], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        label, status, exe, version, reason = line.split("|")
        if status == "run":
            found.append(exe)
        else:
            print("# %s: skipped: %s" % (label, reason))
    return found


def outcomes(junit):
    """{test case id: outcome} from a regrtest JUnit file."""
    result = {}
    if not os.path.exists(junit):
        return None
    root = ET.parse(junit).getroot()
    for case in root.iter("testcase"):
        name = case.get("name", "")   # regrtest: the full id, test.test_threading.Class.test_x
        if case.get("classname"):
            name = "%s.%s" % (case.get("classname"), name)
        kind = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                kind = child.tag
        result[name] = kind
    return result


def run_suites(python, concwatch, workdir, tag, suites=SUITES, match=()):
    junit = os.path.join(workdir, tag + ".xml")
    report = os.path.join(workdir, tag + ".json")
    argv = [python, "-m", "test", "--junit-xml", junit]
    for pattern in IGNORED:
        argv += ["-i", pattern]
    for pattern in match:
        argv += ["-m", pattern]
    argv += suites
    if concwatch:
        argv = [concwatch, "-q", "--json", report, "--"] + argv
    log = os.path.join(workdir, tag + ".log")
    start = time.monotonic()
    with open(log, "w") as out:
        status = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
    elapsed = time.monotonic() - start
    findings = None
    if concwatch and os.path.exists(report):
        with open(report) as f:
            data = json.load(f)
        findings = data.get("findings", [])
        if isinstance(data.get("exit_status"), int):
            status = data["exit_status"]   # the program's own, not concwatch's 66
    unknown = [f for f in findings or [] if not is_known_race(f)]
    return {"status": status, "seconds": elapsed, "cases": outcomes(junit), "findings": findings,
            "unknown": unknown, "log": log}


def rerun(python, concwatch, workdir, tag, cases):
    """{case: (native outcome, concwatch outcome)} of the cases run again, alone."""
    result = {}
    for case in cases:
        parts = case.split(".")
        if len(parts) < 3 or parts[0] != "test":
            continue
        module, method = parts[1], parts[-1]
        safe = method.replace("/", "_")
        a = run_suites(python, None, workdir, "%s.rerun.%s.native" % (tag, safe), [module], [method])
        b = run_suites(python, concwatch, workdir, "%s.rerun.%s.concwatch" % (tag, safe), [module], [method])
        if a["cases"] is not None and b["cases"] is not None and not b["unknown"]:
            result[case] = (a["cases"].get(case, "absent"), b["cases"].get(case, "absent"))
    return result


def summary(cases):
    if cases is None:
        return "no JUnit file"
    counts = {}
    for kind in cases.values():
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join("%d %s" % (counts[k], k) for k in sorted(counts))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--concwatch", default=os.path.join(ROOT, "build", "bin", "concwatch"))
    p.add_argument("--max-ratio", type=float, default=2.0)
    p.add_argument("--ratio-printed-only", action="store_true",
                   help="print the time ratio but do not judge it (CTest: a timed assertion is flaky on a "
                        "shared machine; bench/ judges it)")
    p.add_argument("--json", help="write the results as JSON here too")
    p.add_argument("--keep", help="keep logs, JUnit and JSON files in this directory")
    p.add_argument("--skip-if-missing", action="store_true",
                   help="exit 77 (skipped) when an interpreter's test suites are not installed")
    p.add_argument("pythons", nargs="*")
    args = p.parse_args(argv)
    pythons = args.pythons or default_pythons()
    for pattern, why in IGNORED.items():
        print("# left out both ways: %s (%s)" % (pattern, why))
    failed = False
    results = []
    for python in pythons:
        probe = subprocess.run([python, "-c", "import sys, test.test_threading; print(sys.executable)"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            minor = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                   capture_output=True, text=True).stdout.strip()
            why = ("the test suites of %s (CPython %s) are not installed (Debian: apt-get install "
                   "libpython%s-testsuite)" % (python, minor, minor))
            if args.skip_if_missing:
                print("skipped: " + why)
                return 77
            print("CPython %s: %s" % (minor, why))
            failed = True
            continue
        python = probe.stdout.strip()   # the interpreter itself, not a wrapper (pyenv's shims are scripts)
        version = subprocess.run([python, "-c", "import platform; print(platform.python_version())"],
                                 capture_output=True, text=True).stdout.strip()
        workdir = args.keep or tempfile.mkdtemp(prefix="python_suites.")
        os.makedirs(workdir, exist_ok=True)
        tag = "py" + version
        native = run_suites(python, None, workdir, tag + ".native")
        under = run_suites(python, args.concwatch, workdir, tag + ".concwatch")
        problems, flaky = [], []
        if native["cases"] is None or under["cases"] is None:
            problems.append("no JUnit results (see %s, %s)" % (native["log"], under["log"]))
        else:
            differ = [c for c in sorted(set(native["cases"]) | set(under["cases"]))
                      if native["cases"].get(c, "absent") != under["cases"].get(c, "absent")]
            # CPython's threading tests are timing-sensitive: a case that came out
            # differently is run again, alone, both ways; if the two agree then, it
            # is flaky on this machine, not concwatch's doing (said, not hidden).
            if 0 < len(differ) <= 5:
                again = rerun(python, args.concwatch, workdir, tag, differ)
                for c in differ:
                    a, b = again.get(c, ("absent", "absent"))
                    if a == b:
                        flaky.append("%s: %s natively, %s under concwatch; %s both ways when run again"
                                     % (c, native["cases"].get(c, "absent"), under["cases"].get(c, "absent"), a))
            for c in differ:
                if not any(f.startswith(c + ":") for f in flaky):
                    problems.append("%s: %s natively, %s under concwatch"
                                    % (c, native["cases"].get(c, "absent"), under["cases"].get(c, "absent")))
        if under["status"] != native["status"] and not flaky:
            problems.append("exit status %d under concwatch, %d natively" % (under["status"], native["status"]))
        if under["findings"] is None:
            problems.append("concwatch wrote no JSON report")
        elif under["unknown"]:
            kinds = ", ".join(sorted(set(f.get("kind", "?") for f in under["unknown"])))
            problems.append("%d finding(s) (%s): see %s" % (len(under["unknown"]), kinds, under["log"]))
        ratio = under["seconds"] / native["seconds"] if native["seconds"] > 0 else float("inf")
        if ratio > args.max_ratio and not args.ratio_printed_only:
            problems.append("%.2fx native time (at most %.1fx)" % (ratio, args.max_ratio))
        known = len(under["findings"] or []) - len(under["unknown"])
        line = ("CPython %s: native %.1f s (%s), concwatch %.1f s (%s): %.2fx, %d finding(s)%s: %s"
                % (version, native["seconds"], summary(native["cases"]), under["seconds"],
                   summary(under["cases"]), ratio, len(under["unknown"]),
                   " (and the %d known race(s))" % known if known else "",
                   "same results" if not problems else "DIFFERS"))
        print(line, flush=True)
        for f in flaky:
            print("    flaky: " + f)
        for pr in problems:
            print("    - " + pr)
        failed |= bool(problems)
        results.append({"python": python, "version": version, "native_s": native["seconds"],
                        "concwatch_s": under["seconds"], "ratio": ratio,
                        "native": summary(native["cases"]), "concwatch": summary(under["cases"]),
                        "findings": len(under["unknown"]), "known_races": known, "problems": problems,
                        "flaky": flaky})
    print("verdict: CPython threading suites under concwatch: %s"
          % (("same results, no finding but the known races, on every version (time ratio printed, not judged)"
              if args.ratio_printed_only else
              "same results, no finding but the known races, within %.1fx, on every version" % args.max_ratio)
             if not failed
             else "NOT MET"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

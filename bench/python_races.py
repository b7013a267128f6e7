#!/usr/bin/env python3
"""What the Python race checks cost, per CPython version.

    bench/python_races.py [--concwatch PATH] [--reps 5] [--count 200000] [PYTHON...]

For each interpreter (default: every supported one tests/find_pythons.py
finds), two workloads of 4 threads x COUNT iterations:

  py_locked_counter.py  `with lock: counter += 1` (clean)
  py_racy_counter.py    `total += 1`, `stats.hits += 1` and
                        `seen[key] = seen.get(key, 0) + 1` with no lock
                        (three data races, reported)

each run natively, under `concwatch -q` with CONCWATCH_RACES=0 (the lock
checks alone) and under `concwatch -q` (the Python race checks on), the
repetitions interleaved so that load from other jobs falls on all three
alike.  Prints a Markdown table of median wall times (the whole process:
interpreter start, the run, concwatch's report), ratios to native, and how
many findings each concwatch run had (0 for the locked counter, 3 for the
racy one, else the row says so).  Timings on a shared machine are noisy:
compare the ratios, not the seconds.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = [("py_locked_counter.py", 0), ("py_racy_counter.py", 3)]


def default_pythons():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "find_pythons.py"), "--cmake",
                          sys.executable], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        label, status, exe, version, reason = line.split("|")
        if status == "run":
            found.append((exe, version))
    return found


def timed(argv, env=None):
    start = time.monotonic()
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                       env=dict(os.environ, **(env or {})))
    return time.monotonic() - start, r.returncode, r.stderr.decode(errors="replace")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--concwatch", default=os.path.join(ROOT, "build", "bin", "concwatch"))
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--count", type=int, default=200000)
    p.add_argument("pythons", nargs="*")
    args = p.parse_args(argv)
    pythons = [(exe, subprocess.run([exe, "-c", "import platform; print(platform.python_version())"],
                                    capture_output=True, text=True).stdout.strip()) for exe in args.pythons] \
        or default_pythons()
    print("load average at start: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    print()
    print("| CPython | workload (4 threads x %d) | native | concwatch, race checks off | vs native | "
          "concwatch | vs native | findings |" % args.count)
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="python_races.") as d:
        for exe, version in pythons:
            for workload, want in WORKLOADS:
                script = os.path.join(HERE, workload)
                times = {"native": [], "off": [], "on": []}
                notes = []
                for _ in range(args.reps):
                    t, rc, err = timed([exe, script, str(args.count)])
                    times["native"].append(t)
                    if rc != 0:
                        notes.append("native exit %d" % rc)
                    t, rc, err = timed([args.concwatch, "-q", "--", exe, script, str(args.count)],
                                       {"CONCWATCH_RACES": "0"})
                    times["off"].append(t)
                    if rc != 0:
                        notes.append("races off: exit %d" % rc)
                    report = os.path.join(d, "r.json")
                    t, rc, err = timed([args.concwatch, "-q", "--json", report, "--", exe, script, str(args.count)])
                    times["on"].append(t)
                    with open(report) as f:
                        n = len(json.load(f).get("findings", []))
                    if n != want:
                        notes.append("%d findings, want %d" % (n, want))
                med = {k: statistics.median(v) for k, v in times.items()}
                print("| %s | %s | %.2f s | %.2f s | %.2fx | %.2f s | %.2fx | %s |"
                      % (version, workload, med["native"], med["off"], med["off"] / med["native"], med["on"],
                         med["on"] / med["native"], "; ".join(sorted(set(notes))) or want), flush=True)
    print()
    print("load average at end: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

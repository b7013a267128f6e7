#!/usr/bin/env python3
"""A run with many lock-order cycles gives a readable, cheap report.

    check_many_cycles.py CONCWATCH MANY_ORDERS

bench/many_orders takes 48 locks in random orders (about 2000 lock
operations): hundreds of distinct cycles, all made by the same few lines of
code.  concwatch must report them as a handful of findings (one per piece of
code taking locks in conflicting orders), with few stacks, quickly.  Before
that rule: 568 findings, 3666 stacks, 5.2 MB of JSON, 3.7 s.
"""
import json
import os
import subprocess
import sys
import tempfile
import time


def main():
    concwatch, program = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        started = time.monotonic()
        run = subprocess.run([concwatch, "-q", "--json", report, program],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        elapsed = time.monotonic() - started
        problems = []
        if run.returncode != 66:
            problems.append("exit status %d, want 66" % run.returncode)
        size = os.path.getsize(report) if os.path.exists(report) else 0
        findings = json.load(open(report))["findings"] if size else []
        cycles = [f for f in findings if f["kind"] == "lock-order-inversion"]
        stacks = sum(len(f["stacks"]) for f in findings)
        print("%d findings (%d cycles), %d stacks, %d bytes of JSON, %.2f s"
              % (len(findings), len(cycles), stacks, size, elapsed))
        if not 1 <= len(cycles) <= 10 or len(cycles) != len(findings):
            problems.append("want 1 to 10 lock-order-inversion findings and nothing else")
        if stacks > 100:
            problems.append("more than 100 stacks")
        if size > 200 * 1024:
            problems.append("more than 200 KiB of JSON")
        if elapsed > 30:
            problems.append("slower than 30 s")
        for p in problems:
            print("FAIL: " + p)
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

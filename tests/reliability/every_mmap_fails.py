#!/usr/bin/env python3
"""Whichever of the shim's mmaps fails, the program runs on.

    every_mmap_fails.py CONCWATCH ABBA

Runs samples/abba under concwatch with CONCWATCH_TEST_FAULT=mmap:N for
N = 1..12 (each run fails the N-th mmap the shim makes): every run must end
with the program's own output and status 0 (the finding it would have had
is lost with the shim off) and, when the fault happened, say so in one line.
A run where the N-th mmap never came (fewer mmaps) must be the normal
report: exit 66.  Exit 0 pass, 1 failure.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_sample  # noqa: E402

LINE = re.compile(r"concwatch: internal error in process \d+: out of memory: (.*) \(mmap of \d+ bytes failed")


def main(argv):
    concwatch, abba = argv
    failures = 0
    for n in range(1, 13):
        os.environ["CONCWATCH_TEST_FAULT"] = "mmap:%d" % n
        status, out, err = check_sample.run([concwatch, "--", abba], 60)
        out, err = check_sample.text(out), check_sample.text(err)
        m = LINE.search(err)
        ok_output = "alice: 110, bob: 90" in out
        if m and status == 0 and ok_output and len(LINE.findall(err)) == 1:
            print("ok    mmap:%d failed (%s): the program ran on, exit 0" % (n, m.group(1)))
        elif not m and status == 66 and ok_output:
            print("ok    mmap:%d never happened: the normal report, exit 66" % n)
        else:
            failures += 1
            print("FAIL  mmap:%d: exit %s, program output %s" % (n, check_sample.describe_status(status),
                                                              "ok" if ok_output else "missing"))
            print("--- stderr:\n" + check_sample.clip(err))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

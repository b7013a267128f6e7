#!/usr/bin/env python3
"""Run a command with a deadline and check how it ended.

    expect_run.py [--timeout SEC] [--status N]... [--stderr REGEX]... [--no-stderr REGEX]...
                  [--stdout REGEX]... [--env NAME=VALUE]... [--json FILE --json-int KEY=N]...
                  -- COMMAND [ARGS...]

Passes when COMMAND ends within --timeout seconds (default 60; then it and
every process below it are killed and the check fails: "hung"), with one of
the --status values (any status when none is given), and its stdout/stderr
match every --stdout/--stderr regex and no --no-stderr regex, and the JSON
report FILE (the command's own --json) has each top-level KEY equal to N.  Used by the
reliability tests (tests/reliability.cmake) for runs that are not samples.
Exit status: 0 pass, 1 failure.
"""

import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_sample  # noqa: E402  (run(), kill_tree(): one deadline logic for every test)


def main(argv):
    cut = argv.index("--")
    own, command = argv[:cut], argv[cut + 1:]
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--status", type=int, action="append", default=[])
    p.add_argument("--stderr", action="append", default=[])
    p.add_argument("--no-stderr", action="append", default=[])
    p.add_argument("--stdout", action="append", default=[])
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--json")
    p.add_argument("--json-int", action="append", default=[], metavar="KEY=N")
    args = p.parse_args(own)
    for item in args.env:
        name, _, value = item.partition("=")
        os.environ[name] = value
    started = time.monotonic()
    status, out, err = check_sample.run(command, args.timeout)
    elapsed = time.monotonic() - started
    out, err = check_sample.text(out), check_sample.text(err)
    failures = []
    if status is None:
        failures.append("hung: did not end within %g s" % args.timeout)
    elif args.status and status not in args.status:
        failures.append("exit status %s, want one of %s" % (check_sample.describe_status(status), args.status))
    for rx in args.stderr:
        if not re.search(rx, err):
            failures.append("stderr does not match %r" % rx)
    for rx in args.no_stderr:
        if re.search(rx, err):
            failures.append("stderr matches %r" % rx)
    for rx in args.stdout:
        if not re.search(rx, out):
            failures.append("stdout does not match %r" % rx)
    for item in args.json_int:
        key, _, want = item.partition("=")
        try:
            with open(args.json) as f:
                got = json.load(f).get(key)
        except (OSError, ValueError, TypeError) as e:
            got = "unreadable (%s)" % e
        if got != int(want):
            failures.append("JSON %s is %s, want %s" % (key, got, want))
    if failures:
        print("FAIL (%.1f s): %s" % (elapsed, " ".join(command)))
        for f in failures:
            print("  - " + f)
        print("--- stderr:\n" + check_sample.clip(err))
        print("--- stdout:\n" + check_sample.clip(out))
        return 1
    print("PASS (%.1f s, exit %s): %s" % (elapsed, status, " ".join(command)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

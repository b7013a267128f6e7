#!/usr/bin/env python3
"""exec of a program the shim cannot follow is said once, never a failure.

    check_unwatched.py CONCWATCH PYTHON STATIC_PROGRAM

Runs, under concwatch, a Python program that starts STATIC_PROGRAM three
times (subprocess, os.posix_spawn, os.execv in a fork child) and, when this
test runs as root, a set-user-ID copy of /bin/true owned by nobody (the
loader ignores LD_PRELOAD in it).  Passes when the run exits 0 and says
"not watched" exactly once per program, with the reason.
Exit 0 pass, 1 failure, 77 skipped (no static program could be built).
"""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_sample  # noqa: E402

PROGRAM = r"""
import os, subprocess, sys
static, setuid = sys.argv[1], sys.argv[2]
subprocess.run([static], check=True)
pid = os.posix_spawn(static, [static], os.environ)
os.waitpid(pid, 0)
pid = os.fork()
if pid == 0:
    os.execv(static, [static])
os.waitpid(pid, 0)
if setuid != "-":
    subprocess.run([setuid], check=True)
    subprocess.run([setuid], check=True)
print("driver: done", file=sys.stderr)
"""


def main(argv):
    concwatch, python, static = argv
    if static == "-" or not os.path.exists(static):
        print("SKIP: no statically linked test program (libc.a missing)")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        setuid = "-"
        if os.geteuid() == 0:
            setuid = os.path.join(tmp, "true_setuid")
            shutil.copy("/bin/true", setuid)
            os.chown(setuid, 65534, 65534)
            os.chmod(setuid, 0o4755)
            os.chmod(tmp, 0o755)
        status, out, err = check_sample.run([concwatch, "--", python, "-c", PROGRAM, static, setuid], 60)
        err = check_sample.text(err)
        failures = []
        if status != 0:
            failures.append("exit status %s, want 0 (an unwatched program is never a failure)"
                            % check_sample.describe_status(status))
        lines = [l for l in err.splitlines() if l.startswith("concwatch: not watched:")]
        want = [(static, "statically linked")]
        if setuid != "-":
            want.append((setuid, "set-user-ID"))
        else:
            print("note: not root, the set-user-ID case is not tried")
        for path, reason in want:
            got = [l for l in lines if l.startswith("concwatch: not watched: %s (%s" % (path, reason))]
            if len(got) != 1:
                failures.append("%d 'not watched' lines for %s (%s), want 1" % (len(got), path, reason))
        if len(lines) != len(want):
            failures.append("%d 'not watched' lines, want %d" % (len(lines), len(want)))
        if "internal error" in err:
            failures.append("an internal error was reported")
        if failures:
            print("FAIL")
            for f in failures:
                print("  - " + f)
            print("--- stderr:\n" + check_sample.clip(err))
            return 1
        for l in lines:
            print(l)
        print("PASS")
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

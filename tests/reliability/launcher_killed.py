#!/usr/bin/env python3
"""The launcher killed with SIGKILL takes its program along.

    launcher_killed.py CONCWATCH PROGRAM [ARGS...]

Starts `CONCWATCH PROGRAM ARGS` (a program that would run for minutes),
waits until the program runs under it, SIGKILLs the launcher, and checks
that the program is gone within 5 s: nobody is left to read its findings or
end its hangs, so it must not run on unwatched.  Exit 0 pass, 1 failure.
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_sample  # noqa: E402


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def main(argv):
    launcher = subprocess.Popen(argv, stdin=subprocess.DEVNULL, start_new_session=True)
    program = []
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not program:
            time.sleep(0.1)
            program = [p for p in check_sample.descendants(launcher.pid)
                       if os.path.exists("/proc/%d/maps" % p) and "libconcwatch" in open("/proc/%d/maps" % p).read()]
        if not program:
            print("FAIL: the program never ran under the launcher")
            return 1
        time.sleep(0.3)
        os.kill(launcher.pid, signal.SIGKILL)
        launcher.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(alive(p) for p in program):
            time.sleep(0.05)
        left = [p for p in program if alive(p)]
        if left:
            print("FAIL: the program (pid %s) still runs 5 s after its launcher was killed" % left)
            return 1
        print("PASS: the program (pid %s) ended with its SIGKILLed launcher" % program)
        return 0
    finally:
        check_sample.kill_tree(launcher)
        for p in program:   # reparented once the launcher is gone: not its descendants any more
            if alive(p):
                os.kill(p, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

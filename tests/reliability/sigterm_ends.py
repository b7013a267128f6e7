#!/usr/bin/env python3
"""SIGTERM sent to the launcher ends the program, even one stuck in the shim.

    sigterm_ends.py CONCWATCH PROGRAM [ARGS...]

Starts `CONCWATCH -- PROGRAM ARGS` (with CONCWATCH_TEST_FAULT and the
like from the environment: a program the shim leaves stuck with every
asynchronous signal blocked), sends the launcher SIGTERM after 1.5 s, and
checks that it ends within 5 s: by the signal, or by the watchdog (with its
line).  Natively SIGTERM
ends such a program at once; forwarded, it stayed pending for good (the
watchdog's own deadline, CONCWATCH_SHIM_WATCHDOG, is set far off by the
test).  Exit 0 pass, 1 failure, 77 skipped (software watchpoints cannot run here).
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_sample  # noqa: E402


def main(argv):
    launcher = subprocess.Popen([argv[0], "--"] + argv[1:], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        time.sleep(1.5)
        if launcher.poll() is not None:
            err = check_sample.text(launcher.communicate()[1])
            if "data races: software watchpoints" not in err:
                # Hosts differ: no Syscall User Dispatch, no /proc/self/mem writes...
                print("SKIP: software watchpoints did not run here:\n%s" % err)
                return 77
            print("FAIL: the program ended before SIGTERM (status %s): the fault was not reached\n%s"
                  % (launcher.returncode, err))
            return 1
        sent = time.monotonic()
        os.kill(launcher.pid, signal.SIGTERM)
        try:
            _, err = launcher.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            print("FAIL: still running 5 s after SIGTERM to the launcher")
            return 1
        err = check_sample.text(err)
        took = time.monotonic() - sent
        # Ended by the signal (143), or by the watchdog (137) with its line.
        if launcher.returncode not in (137, 143) or (launcher.returncode == 137 and
                                                     "deadlock inside concwatch's shim" not in err):
            print("FAIL: ended (status %s, %.1f s after SIGTERM); stderr:\n%s" % (launcher.returncode, took, err))
            return 1
        print("PASS: ended %.1f s after SIGTERM (status %s)\n%s" % (took, launcher.returncode, err))
        return 0
    finally:
        check_sample.kill_tree(launcher)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

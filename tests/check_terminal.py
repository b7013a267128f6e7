#!/usr/bin/env python3
"""The text report's colour, on a real terminal (a pseudo-terminal).

    check_terminal.py CONCWATCH PROGRAM

PROGRAM must have a finding.  Checks that concwatch colours the report when
its standard error is a terminal, and not when NO_COLOR is set (non-empty),
TERM is dumb, --color never is given or standard error is not a terminal;
--color always colours a pipe too.  Python 3 standard library only.
"""
import os
import pty
import subprocess
import sys

ESC = b"\x1b["


def on_pty(argv, env):
    """Runs argv with stdin/stdout/stderr on a new pseudo-terminal; returns
    (status, everything it wrote)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:          # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=60), out


def on_pipe(argv, env):
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, timeout=60)
    return proc.returncode, proc.stderr


def main():
    concwatch, program = sys.argv[1], sys.argv[2]
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    base["TERM"] = "xterm"
    cases = [
        ("a terminal", on_pty, [], {}, True),
        ("a terminal, NO_COLOR=1", on_pty, [], {"NO_COLOR": "1"}, False),
        ("a terminal, NO_COLOR empty", on_pty, [], {"NO_COLOR": ""}, True),
        ("a terminal, TERM=dumb", on_pty, [], {"TERM": "dumb"}, False),
        ("a terminal, --color never", on_pty, ["--color", "never"], {}, False),
        ("a pipe", on_pipe, [], {}, False),
        ("a pipe, --color always", on_pipe, ["--color=always"], {}, True),
    ]
    failures = 0
    for name, runner, opts, env, want in cases:
        status, out = runner([concwatch] + opts + [program], dict(base, **env))
        coloured = ESC in out
        ok = status == 66 and b"WARNING: concwatch:" in out and coloured == want
        print("%s: %s (exit %d, %s)" % ("ok" if ok else "FAIL", name, status,
                                         "coloured" if coloured else "plain"))
        if not ok:
            failures += 1
            print(out.decode("utf-8", "replace")[-3000:])
        if ok and want and b"\x1b[1;31mWARNING: concwatch:" not in out:
            print("FAIL: %s: the headline is not coloured" % name)
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Multithreaded zstd under software watchpoints ends, with zstd's own output.

    zstd_software.py CONCWATCH GEN_CORPUS RUNS

Compresses an 8 MiB generated corpus with `zstd -T3` RUNS times under
`CONCWATCH -- zstd ...` (CONCWATCH_RACE_BACKEND=software and any
CONCWATCH_TEST_FAULT from the environment), each run bounded (15 s; natively
it takes well under a second), and checks every run exits 0 and its output
decompresses to the input.  zstd installs a SIGSEGV handler of its own (it
prints a stack and kills itself): a protection fault of the backend that
looked like the program's own reached it (exit 139: "Caught SIGSEGV
signal").  With CONCWATCH_TEST_FAULT=sw-slow-prot the backend's thread
sleeps right after each mprotect, the window a loaded machine opens.
Exit 0 pass, 1 failure, 77 skipped (no zstd, or software watchpoints cannot
run here).
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import check_sample  # noqa: E402

RUN_TIMEOUT = 15


def main(argv):
    concwatch, gen_corpus, runs = argv[0], argv[1], int(argv[2])
    zstd = shutil.which("zstd")
    if not zstd:
        print("SKIP: zstd is not installed (apt-get install zstd)")
        return 77
    env = dict(os.environ, CONCWATCH_RACE_BACKEND="software")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "corpus.txt")
        subprocess.run([gen_corpus, "8", src], check=True, stdout=subprocess.DEVNULL)
        with open(src, "rb") as f:
            want = f.read()
        for i in range(runs):
            out = os.path.join(tmp, "out%d.zst" % i)
            proc = check_sample.start([concwatch, "--", zstd, "-q", "-T3", "-f", "-o", out, src],
                                      env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
            try:
                _, err = proc.communicate(timeout=RUN_TIMEOUT)
            except subprocess.TimeoutExpired:
                print("FAIL: run %d: zstd still running after %d s (natively < 1 s)" % (i + 1, RUN_TIMEOUT))
                return 1
            finally:
                check_sample.kill_tree(proc)
            err = check_sample.text(err)
            if "software watchpoints" not in err:
                # Hosts differ: no Syscall User Dispatch, no /proc/self/mem writes, no Zydis...
                print("SKIP: software watchpoints did not run here:\n%s" % err)
                return 77
            if proc.returncode != 0:
                print("FAIL: run %d: exit %s (natively 0); stderr:\n%s" % (i + 1, proc.returncode, err))
                return 1
            back = subprocess.run([zstd, "-q", "-d", "-c", out], stdout=subprocess.PIPE, check=True).stdout
            if back != want:
                print("FAIL: run %d: the output does not decompress to the input" % (i + 1))
                return 1
        print("PASS: %d runs, each exit 0 with zstd's own output" % runs)
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

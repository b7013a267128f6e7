#!/usr/bin/env python3
"""The Debian package (cpack -G DEB), built from a build tree and used without it.

    check_deb.py --inspect --build-dir BUILD --source-dir SRC --cpack CPACK --sample PROGRAM
    check_deb.py --install --build-dir BUILD --source-dir SRC --cpack CPACK --sample PROGRAM
                 [--cmake CMAKE --ctest CTEST]

Both build the package into a temporary directory with cpack, then:

--inspect (CTest, any user): the package's Depends name every library the
  binaries need (libdw1, libjson-c5, libc6) and libunwind8, which the shim
  opens at run time; it holds the launcher, the shim, concwatch(1) and the
  CMake package.  Its files are extracted (dpkg-deb -x, no installation) and
  the extracted concwatch, with no CONCWATCH_* variable set, must find the
  extracted shim (not the build tree's) and report PROGRAM's bug; the man page
  documents every option `concwatch --help` lists.

--install (.ci/run, as root, on a machine where concwatch is not installed):
  `dpkg -i` the package, run the installed /usr/bin/concwatch from a
  directory outside the build tree: it must preload /usr/lib/.../
  libconcwatch.so and report PROGRAM's bug; `man -w concwatch` finds the page
  when man is installed; with --cmake/--ctest the example project
  (examples/ctest_project) configures against the installed package with no
  CMAKE_PREFIX_PATH and its buggy test fails.  Then `dpkg --purge concwatch`
  (dpkg -r, and no record left; always, even after a failure), leaving the
  machine as it was.  It refuses
  to run (exit 77) when concwatch is already installed: that installation is
  not the test's to replace or remove.

PROGRAM is a sample with a lock-order inversion on two global locks (abba).
Exit status: 0 pass, 1 failure, 77 skipped (with the reason).
Python 3 standard library only.
"""
import argparse
import glob
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def run(argv, env=None, cwd=None, timeout=600):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env, cwd=cwd, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("CONCWATCH_") and k != "LD_PRELOAD"}


def build_package(a, out_dir):
    rc, out = run([a.cpack, "-G", "DEB", "-B", out_dir, "--config",
                   os.path.join(a.build_dir, "CPackConfig.cmake")], cwd=a.build_dir)
    debs = glob.glob(os.path.join(out_dir, "concwatch_*.deb"))
    if rc != 0 or len(debs) != 1:
        print("FAIL: cpack -G DEB: exit %d, packages %s\n%s" % (rc, debs, out[-4000:]))
        sys.exit(1)
    return debs[0]


def check_report(concwatch, sample, problems, what, cwd):
    rc, out = run([concwatch, sample], env=clean_env(), cwd=cwd)
    if rc != 66 or "WARNING: concwatch: lock-order-inversion" not in out or "`alice.lock`" not in out:
        problems.append("%s did not report the sample's inversion with its locks' names "
                        "(exit %d):\n%s" % (what, rc, out[-3000:]))


def check_preload(concwatch, expect_dir, problems, what):
    rc, out = run([concwatch, "sh", "-c", 'printf "%s\\n" "$LD_PRELOAD"'], env=clean_env(), cwd="/")
    shim = out.strip().splitlines()[-1] if out.strip() else ""
    if rc != 0 or not shim.startswith(expect_dir) or not shim.endswith("/libconcwatch.so"):
        problems.append("%s preloads %r, not its own shim under %s" % (what, shim, expect_dir))


def check_manpage(page_gz, concwatch, problems):
    with gzip.open(page_gz, "rt", encoding="utf-8") as f:
        page = f.read()
    rc, help_text = run([concwatch, "--help"])
    options = set(re.findall(r"--([a-z][a-z-]+)", help_text))
    for name in sorted(options):
        if "\\-\\-" + name.replace("-", "\\-") not in page:
            problems.append("concwatch(1) does not document --%s" % name)
    for section in ("NAME", "SYNOPSIS", "OPTIONS", "EXIT STATUS", "ENVIRONMENT"):
        if ".SH " + section not in page:
            problems.append("concwatch(1) has no %s section" % section)
    if "CONCWATCH_RACES" not in page:
        problems.append("concwatch(1) does not list the CONCWATCH_* variables")


def inspect(a, tmp, deb, problems):
    rc, depends = run(["dpkg-deb", "-f", deb, "Depends"])
    for lib in ("libdw1", "libjson-c5", "libc6", "libunwind8"):
        if not re.search(r"(^|, )%s\b" % lib, depends):
            problems.append("Depends lacks %s: %s" % (lib, depends.strip()))
    root = os.path.join(tmp, "root")
    rc, out = run(["dpkg-deb", "-x", deb, root])
    if rc != 0:
        problems.append("dpkg-deb -x: " + out)
        return
    wanted = ["usr/bin/concwatch", "usr/share/man/man1/concwatch.1.gz"]
    for f in wanted:
        if not os.path.isfile(os.path.join(root, f)):
            problems.append("the package lacks /" + f)
    for pattern in ("usr/lib/**/libconcwatch.so", "usr/lib/**/cmake/concwatch/concwatchConfig.cmake"):
        if not glob.glob(os.path.join(root, pattern), recursive=True):
            problems.append("the package lacks /" + pattern)
    if problems:
        return
    concwatch = os.path.join(root, "usr/bin/concwatch")
    check_preload(concwatch, os.path.join(root, "usr/lib"), problems, "the extracted concwatch")
    check_report(concwatch, a.sample, problems, "the extracted concwatch", tmp)
    check_manpage(os.path.join(root, "usr/share/man/man1/concwatch.1.gz"), concwatch, problems)


def installed():
    rc, out = run(["dpkg-query", "-W", "-f=${Status}", "concwatch"])
    return rc == 0 and "installed" in out.split()


def install(a, tmp, deb, problems):
    rc, out = run(["dpkg", "-i", deb])
    if rc != 0:
        problems.append("dpkg -i: exit %d\n%s" % (rc, out[-3000:]))
        return
    concwatch = shutil.which("concwatch", path="/usr/bin")
    if concwatch != "/usr/bin/concwatch":
        problems.append("dpkg -i installed no /usr/bin/concwatch")
        return
    check_preload(concwatch, "/usr/lib/", problems, "the installed concwatch")
    check_report(concwatch, a.sample, problems, "the installed concwatch", tmp)
    if shutil.which("man"):
        rc, out = run(["man", "-w", "concwatch"])
        if rc != 0 or "concwatch.1" not in out:
            problems.append("man -w concwatch: %s" % out.strip())
    if a.cmake and a.ctest:
        build = os.path.join(tmp, "example")
        example = os.path.join(a.source_dir, "examples", "ctest_project")
        rc, out = run([a.cmake, "-S", example, "-B", build], env=clean_env())
        if rc == 0:
            rc, out = run([a.cmake, "--build", build], env=clean_env())
        if rc != 0:
            problems.append("the example against the installed package:\n" + out[-3000:])
            return
        rc, out = run([a.ctest, "--test-dir", build, "--output-on-failure"], env=clean_env())
        if rc == 0 or "transfer_unordered (Failed)" not in out or "transfer_ordered (Failed)" in out:
            problems.append("the example's tests under the installed package:\n" + out[-3000:])


def main():
    p = argparse.ArgumentParser()
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--inspect", action="store_true")
    mode.add_argument("--install", action="store_true")
    p.add_argument("--build-dir", required=True)
    p.add_argument("--source-dir", required=True)
    p.add_argument("--cpack", default="cpack")
    p.add_argument("--sample", required=True)
    p.add_argument("--cmake")
    p.add_argument("--ctest")
    a = p.parse_args()
    a.build_dir = os.path.abspath(a.build_dir)
    a.source_dir = os.path.abspath(a.source_dir)
    a.sample = os.path.abspath(a.sample)
    for tool in ("dpkg-deb",) + (("dpkg", "dpkg-query") if a.install else ()):
        if not shutil.which(tool):
            print("SKIP: %s is not available (not a Debian system)" % tool)
            return SKIP
    if a.install:
        if os.geteuid() != 0:
            print("SKIP: dpkg -i needs root")
            return SKIP
        if installed() or os.path.exists("/usr/bin/concwatch"):
            print("SKIP: concwatch is already installed on this machine; the test will not replace it")
            return SKIP
    problems = []
    with tempfile.TemporaryDirectory(prefix="cw_deb.") as tmp:
        deb = build_package(a, os.path.join(tmp, "pkg"))
        if a.inspect:
            inspect(a, tmp, deb, problems)
        else:
            try:
                install(a, tmp, deb, problems)
            finally:
                # --purge: -r, and no record left behind (a package with
                # maintainer scripts stays listed as "config-files" after -r).
                rc, out = run(["dpkg", "--purge", "concwatch"])
                rc2, status = run(["dpkg-query", "-W", "-f=${Status}", "concwatch"])
                if rc != 0 or rc2 == 0 or os.path.exists("/usr/bin/concwatch"):
                    problems.append("dpkg --purge concwatch left it behind (exit %d, status %r):\n%s"
                                    % (rc, status, out))
    for line in problems:
        print("FAIL:", line)
    print("Debian package (%s): %s" % ("inspect" if a.inspect else "install",
                                        "ok" if not problems else "%d problem(s)" % len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

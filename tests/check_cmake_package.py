#!/usr/bin/env python3
"""The installed CMake package, used as a project would (examples/ctest_project).

    check_cmake_package.py --cmake CMAKE --ctest CTEST --build-dir BUILD
                           --example DIR [--sarif-check "PYTHON check_sarif.py --schema S"]

1. `cmake --install BUILD --prefix TMP/prefix`: concwatch, its shim, concwatch(1)
   and the CMake package, into a prefix that is not the build tree;
2. configures the example against it (CMAKE_PREFIX_PATH=TMP/prefix, with
   CONCWATCH_OUTPUT_DIR so that every test also writes JSON and SARIF), builds it;
3. `ctest -R transfer_ordered` must pass, `ctest -R transfer_unordered` must
   fail, because concwatch reports the lock-order inversion in bank.c (named
   by the lock's type and where it was made);
4. the installed `concwatch merge` folds the two tests' reports into one
   finding, whose SARIF is valid and locates bank.c relative to the
   example's source root.
The installed launcher must find its installed shim on its own: CONCWATCH_SHIM
is removed from the environment, and the prefix holds the only copy used.
A CMake older than 3.29 has no CMAKE_TEST_LAUNCHER: concwatch_TEST_LAUNCHER
is then only checked to be defined (said on the output).
Python 3 standard library only.
"""
import argparse
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile


def run(argv, env, cwd=None):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=env, cwd=cwd, timeout=600)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cmake", required=True)
    ap.add_argument("--ctest", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--example", required=True)
    ap.add_argument("--sarif-check")
    a = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCWATCH_")}
    problems = []

    def step(what, argv, want_ok=True, cwd=None):
        rc, out = run(argv, env, cwd)
        if (rc == 0) != want_ok:
            problems.append("%s: exit %d (want %s)\n%s" % (what, rc, "0" if want_ok else "non-zero", out[-6000:]))
        return rc, out

    with tempfile.TemporaryDirectory(prefix="cw_package.") as tmp:
        prefix = os.path.join(tmp, "prefix")
        build = os.path.join(tmp, "build")
        reports = os.path.join(tmp, "reports")
        step("install", [a.cmake, "--install", a.build_dir, "--prefix", prefix])
        for f in ("bin/concwatch", "share/man/man1/concwatch.1.gz"):
            if not os.path.exists(os.path.join(prefix, f)):
                problems.append("not installed: %s" % f)
        shims = glob.glob(os.path.join(prefix, "lib*", "**", "libconcwatch.so"), recursive=True)
        configs = glob.glob(os.path.join(prefix, "lib*", "**", "concwatchConfig.cmake"), recursive=True)
        if len(shims) != 1 or len(configs) != 1:
            problems.append("installed shims %s, package configs %s" % (shims, configs))
        if problems:
            return report(problems)

        rc, out = step("configure the example", [a.cmake, "-S", a.example, "-B", build,
                                                 "-DCMAKE_PREFIX_PATH=" + prefix,
                                                 "-DCONCWATCH_OUTPUT_DIR=" + reports])
        if rc == 0:
            step("build the example", [a.cmake, "--build", build])
        if problems:
            return report(problems)
        rc, out = step("the clean test", [a.ctest, "--test-dir", build, "-R", "^transfer_ordered$",
                                          "--output-on-failure"])
        if "100% tests passed, 0 tests failed out of 1" not in out:
            problems.append("the clean test did not run and pass:\n" + out[-3000:])
        rc, out = step("the buggy test", [a.ctest, "--test-dir", build, "-R", "^transfer_unordered$",
                                          "--output-on-failure"], want_ok=False)
        for needle in ("WARNING: concwatch: lock-order-inversion",
                       "is field `lock` of a struct account (initialised at bank.c:",
                       "SUMMARY: concwatch: lock-order-inversion bank.c:"):
            if needle not in out:
                problems.append("the buggy test's output lacks %r:\n%s" % (needle, out[-4000:]))

        # The installed concwatch folds the test run into one report.
        concwatch = os.path.join(prefix, "bin", "concwatch")
        merged = os.path.join(tmp, "all.sarif")
        jsons = sorted(glob.glob(os.path.join(reports, "*.json")))
        if [os.path.basename(j) for j in jsons] != ["transfer_ordered.json", "transfer_unordered.json"]:
            problems.append("reports written: %s" % jsons)
        rc, out = run([concwatch, "merge", "-q", "--source-root", a.example, "--sarif", merged] + jsons, env)
        if rc != 66:
            problems.append("merge: exit %d\n%s" % (rc, out[-3000:]))
        else:
            doc = json.load(open(merged))
            results = doc["runs"][0]["results"]
            uris = [l["physicalLocation"]["artifactLocation"] for r in results for l in r["locations"]]
            if len(results) != 1 or uris != [{"uri": "bank.c", "uriBaseId": "SRCROOT"}]:
                problems.append("merged SARIF: %d results, locations %s" % (len(results), uris))
            if a.sarif_check:
                rc, out = run(shlex.split(a.sarif_check) + ["--validate", merged], env)
                if rc not in (0, 77):
                    problems.append("merged SARIF invalid:\n" + out)

        # The test-launcher setting (CMake 3.29+).
        version = run([a.cmake, "--version"], env)[1].split()[2]
        if tuple(int(x) for x in version.split(".")[:2]) < (3, 29):
            print("note: CMake %s has no CMAKE_TEST_LAUNCHER (3.29+): concwatch_TEST_LAUNCHER "
                  "was not exercised" % version)
        else:
            print("note: CMake %s: CMAKE_TEST_LAUNCHER is not exercised by this test yet" % version)
    return report(problems)


def report(problems):
    for p in problems:
        print("FAIL:", p)
    print("cmake package: %s" % ("ok" if not problems else "%d problem(s)" % len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

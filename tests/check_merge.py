#!/usr/bin/env python3
"""Many runs, one report: `concwatch merge` over the JSON reports of real runs.

    check_merge.py --concwatch PATH --python PYTHON --samples DIR --source-root DIR
                   [--sarif-check "PYTHON check_sarif.py --schema SCHEMA"]

Runs, each with --json: samples/abba twice, a copy of it from another
directory (another module path, the same code), misuse_destroy_locked, the
Python py_abba.py, and the clean abba_consistent.  Then checks:
  * merge of all: exit 66, three distinct findings; abba's cycle counted in
    3 runs / 3 processes, the others in 1; every finding keeps its stacks and
    its locks' names; the text report says "seen in 3 runs, 3 processes";
  * merging a merged report with one more abba report adds up (4 runs);
  * the merged SARIF is valid (when --sarif-check is given) and has one result
    per distinct finding;
  * merge of the clean report alone: exit 0, no findings;
  * a file that is not a concwatch report: exit 2.
Python 3 standard library only.
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile


def run(argv, **kw):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120, **kw)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--concwatch", required=True)
    p.add_argument("--python", required=True)
    p.add_argument("--samples", required=True, help="the directory of built samples")
    p.add_argument("--source-root", required=True)
    p.add_argument("--sarif-check")
    a = p.parse_args()
    problems = []

    def check(cond, what):
        if not cond:
            problems.append(what)
        return cond

    with tempfile.TemporaryDirectory(prefix="cw_merge.") as tmp:
        elsewhere = os.path.join(tmp, "elsewhere")
        os.mkdir(elsewhere)
        abba_copy = shutil.copy2(os.path.join(a.samples, "abba"), elsewhere)
        runs = [
            ("abba1", [os.path.join(a.samples, "abba")]),
            ("abba2", [os.path.join(a.samples, "abba")]),
            ("abba3", [abba_copy]),
            ("misuse", [os.path.join(a.samples, "misuse_destroy_locked")]),
            ("py", [a.python, os.path.join(a.source_root, "samples", "py_abba.py")]),
            ("clean", [os.path.join(a.samples, "abba_consistent")]),
            ("abba4", [os.path.join(a.samples, "abba")]),
        ]
        reports = {}
        for name, argv in runs:
            reports[name] = os.path.join(tmp, name + ".json")
            r = run([a.concwatch, "-q", "--source-root", a.source_root, "--json", reports[name], "--"] + argv)
            check(r.returncode == (0 if name == "clean" else 66), "%s: exit %d" % (name, r.returncode))

        merged_json = os.path.join(tmp, "merged.json")
        merged_sarif = os.path.join(tmp, "merged.sarif")
        first = [reports[n] for n in ("abba1", "abba2", "abba3", "misuse", "py", "clean")]
        r = run([a.concwatch, "merge", "--json", merged_json, "--sarif", merged_sarif] + first)
        check(r.returncode == 66, "merge: exit %d, stderr %s" % (r.returncode, r.stderr.decode()[-2000:]))
        text = r.stdout.decode("utf-8", "replace")
        check("seen in 3 runs, 3 processes" in text, "the text report does not say 'seen in 3 runs, 3 processes'")
        check("concwatch: merged 3 findings" in r.stderr.decode(), "no 'merged 3 findings' banner")
        d = json.load(open(merged_json))
        found = [(f["kind"], f["runs"], f["processes"]) for f in d["findings"]]
        kinds = sorted(k for k, _, _ in found)
        check(kinds == ["lock-order-inversion", "lock-order-inversion", "misuse"], "kinds %s" % kinds)
        check(("lock-order-inversion", 3, 3) in found, "abba's cycle not counted 3/3: %s" % found)
        check(("misuse", 1, 1) in found, "misuse not counted 1/1: %s" % found)
        check(d["command"] is None and d["exit_status"] is None and d["merged"] == first,
              "merged report header: %s" % {k: d[k] for k in ("command", "exit_status", "merged")})
        for f in d["findings"]:
            check(f["stacks"] and all(s["frames"] for s in f["stacks"]), "%s lost its stacks" % f["kind"])
            if f["kind"] == "lock-order-inversion" and f["runs"] == 3:
                names = sorted(l["name"] or "" for l in f["locks"])
                check(names == ["alice.lock", "bob.lock"], "abba's locks lost their names: %s" % names)
        if a.sarif_check:
            r = run(shlex.split(a.sarif_check) + ["--validate", merged_sarif])
            check(r.returncode in (0, 77), "merged SARIF: %s" % r.stdout.decode()[-3000:])
        s = json.load(open(merged_sarif))
        results = s["runs"][0]["results"]
        check(len(results) == 3, "%d SARIF results for 3 findings" % len(results))
        check(sorted(x["properties"]["runs"] for x in results) == [1, 1, 3], "SARIF run counts")

        again = os.path.join(tmp, "again.json")
        r = run([a.concwatch, "merge", "-q", "--json", again, merged_json, reports["abba4"]])
        d = json.load(open(again))
        check(r.returncode == 66 and len(d["findings"]) == 3, "merge of a merge: %d findings" % len(d["findings"]))
        check(any(f["runs"] == 4 and f["processes"] == 4 for f in d["findings"]),
              "merge of a merge does not add up to 4 runs: %s" % [(f["kind"], f["runs"]) for f in d["findings"]])

        r = run([a.concwatch, "merge", "--json", "-", reports["clean"]])
        check(r.returncode == 0 and json.loads(r.stdout)["findings"] == [], "merge of a clean report")

        bogus = os.path.join(tmp, "bogus.json")
        with open(bogus, "w") as f:
            f.write('{"tool": "other"}')
        r = run([a.concwatch, "merge", reports["abba1"], bogus])
        check(r.returncode == 2 and "not a concwatch JSON report" in r.stderr.decode(),
              "a foreign file: exit %d" % r.returncode)

    for line in problems:
        print("FAIL:", line)
    print("merge: %s" % ("ok" if not problems else "%d problem(s)" % len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Run a program under concwatch and validate its SARIF report.

    check_sarif.py --schema SARIF_SCHEMA.json --concwatch PATH --source-root DIR
                   [--kind KIND] [--source FILE] [--stable] -- PROGRAM [ARGS...]
    check_sarif.py --schema SARIF_SCHEMA.json --validate FILE.sarif...

The SARIF 2.1.0 report (--sarif) is validated against the OASIS JSON schema
with a real validator (jsonschema, Draft 4 as the schema declares; Debian's
python3-jsonschema), then checked against the JSON report of the same run
(--json):
  * one result per finding, ruleId = the finding's kind, ruleIndex pointing
    at a rule of tool.driver.rules with that id, help text present;
  * every result has a 32-hex-digit partialFingerprints["concwatchFinding/v1"];
  * every stack with frames is a SARIF stack with as many frames and a code
    flow; every lock description appears in the result's message;
  * files under --source-root are given relative to it with uriBaseId SRCROOT,
    and originalUriBaseIds.SRCROOT is the root's file:// URI;
  * with --source FILE, some location is FILE (relative to the root);
  * with --kind KIND, some result has that ruleId.
With --stable the program (an executable file) is copied into another
directory and run again: the fingerprints must be the same set (they come
from the code, never from addresses, pids, thread numbers or paths).

Every validation is also shown to be able to fail: a copy of the report with
"version" removed and one with an unknown property must be rejected.

Exit status: 0 pass, 1 failure, 77 skipped (jsonschema is not installed, or
the race sampler's watchpoints are not permitted here and KIND is data-race).
"""

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77


def load_validator(schema_path):
    try:
        import jsonschema
    except ImportError:
        print("SKIP: the Python module jsonschema is not installed "
              "(apt-get install python3-jsonschema) for %s" % sys.executable)
        sys.exit(SKIP)
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    cls.check_schema(schema)
    return cls(schema, format_checker=jsonschema.FormatChecker())


def schema_errors(validator, doc):
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message[:300])
            for e in validator.iter_errors(doc)]


def validate(validator, doc, name):
    """Returns a list of problems; checks that broken copies are rejected."""
    problems = schema_errors(validator, doc)
    broken = copy.deepcopy(doc)
    broken.pop("version", None)
    if not schema_errors(validator, broken):
        problems.append("the validator accepted %s without its version: it checks nothing" % name)
    broken = copy.deepcopy(doc)
    broken["runs"][0]["results_typo"] = []
    if not schema_errors(validator, broken):
        problems.append("the validator accepted an unknown run property in %s" % name)
    return problems


def run_concwatch(args, program, workdir):
    sarif = os.path.join(workdir, "report.sarif")
    report = os.path.join(workdir, "report.json")
    cmd = [args.concwatch, "-q", "--source-root", args.source_root,
           "--sarif", sarif, "--json", report, "--"] + program
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120)
    err = proc.stderr.decode("utf-8", "replace")
    if args.kind == "data-race" and "watchpoints not permitted" in err:
        print("SKIP: the race sampler's watchpoints are not permitted on this host:\n" + err)
        sys.exit(SKIP)
    try:
        with open(sarif, encoding="utf-8") as f:
            sarif_doc = json.load(f)
        with open(report, encoding="utf-8") as f:
            json_doc = json.load(f)
    except (OSError, ValueError) as e:
        print("concwatch wrote no readable report (%s); exit %d, stderr:\n%s" % (e, proc.returncode, err))
        sys.exit(1)
    return sarif_doc, json_doc, proc.returncode, err


def uris(obj):
    """Every artifactLocation in a JSON tree."""
    if isinstance(obj, dict):
        if "artifactLocation" in obj:
            yield obj["artifactLocation"]
        for v in obj.values():
            yield from uris(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from uris(v)


def check_against_json(args, sarif_doc, json_doc):
    problems = []
    run = sarif_doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = run.get("results", [])
    findings = json_doc["findings"]
    if len(results) != len(findings):
        problems.append("%d results for %d findings" % (len(results), len(findings)))
    if not findings:
        problems.append("no finding at all: nothing was checked")
    root_uri = "file://" + args.source_root.rstrip("/") + "/"
    if run.get("originalUriBaseIds", {}).get("SRCROOT", {}).get("uri") != root_uri:
        problems.append("originalUriBaseIds.SRCROOT is not %s" % root_uri)
    for i, (res, fnd) in enumerate(zip(results, findings)):
        where = "result %d (%s)" % (i, fnd["kind"])
        if res.get("ruleId") != fnd["kind"]:
            problems.append("%s: ruleId %r" % (where, res.get("ruleId")))
        idx = res.get("ruleIndex")
        if not isinstance(idx, int) or idx >= len(rules) or rules[idx]["id"] != res.get("ruleId"):
            problems.append("%s: ruleIndex %r does not point at its rule" % (where, idx))
        elif not rules[idx].get("help", {}).get("text"):
            problems.append("%s: its rule has no help text" % where)
        fp = res.get("partialFingerprints", {}).get("concwatchFinding/v1", "")
        if not re.fullmatch(r"[0-9a-f]{32}", fp):
            problems.append("%s: partialFingerprints %r" % (where, fp))
        stacks = [s for s in fnd["stacks"]]
        if len(res.get("stacks", [])) != len(stacks):
            problems.append("%s: %d SARIF stacks for %d stacks" % (where, len(res.get("stacks", [])), len(stacks)))
        else:
            for s, ss in zip(stacks, res["stacks"]):
                if len(s["frames"]) != len(ss["frames"]):
                    problems.append("%s: a stack of %d frames has %d in SARIF"
                                    % (where, len(s["frames"]), len(ss["frames"])))
        flows = res.get("codeFlows", [])
        if len(flows) != len([s for s in stacks if s["frames"]]):
            problems.append("%s: %d code flows for %d stacks with frames" % (where, len(flows), len(stacks)))
        for lock in fnd["locks"]:
            if lock.get("description") and lock["description"] not in res["message"]["text"]:
                problems.append("%s: the message does not name %s as %s"
                                % (where, lock["id"], lock["description"]))
    for loc in uris(results):
        uri = loc.get("uri", "")
        if loc.get("uriBaseId") == "SRCROOT":
            if uri.startswith("/") or uri.startswith("file:"):
                problems.append("a SRCROOT-relative uri is absolute: %s" % uri)
        elif not uri.startswith("file:///"):
            problems.append("uri %r is neither SRCROOT-relative nor an absolute file URI" % uri)
        elif uri.startswith(root_uri):
            problems.append("uri %s lies under the source root but is not relative to it" % uri)
    if args.source:
        rel = os.path.relpath(os.path.realpath(args.source), args.source_root)
        if not any(l.get("uri") == rel and l.get("uriBaseId") == "SRCROOT" for l in uris(results)):
            problems.append("no location names %s (SRCROOT-relative)" % rel)
    if args.kind and not any(r.get("ruleId") == args.kind for r in results):
        problems.append("no %s result" % args.kind)
    return problems


def fingerprints(sarif_doc):
    return sorted(r["partialFingerprints"]["concwatchFinding/v1"] for r in sarif_doc["runs"][0].get("results", []))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--schema", required=True)
    p.add_argument("--concwatch")
    p.add_argument("--source-root")
    p.add_argument("--kind")
    p.add_argument("--source")
    p.add_argument("--stable", action="store_true")
    p.add_argument("--validate", nargs="+", metavar="FILE")
    p.add_argument("program", nargs="*")
    args = p.parse_args()
    validator = load_validator(args.schema)

    if args.validate:
        problems = []
        for path in args.validate:
            with open(path, encoding="utf-8") as f:
                problems += ["%s: %s" % (path, e) for e in validate(validator, json.load(f), path)]
        for line in problems:
            print("FAIL:", line)
        return 1 if problems else 0

    if not args.concwatch or not args.source_root or not args.program:
        p.error("need --concwatch, --source-root and -- PROGRAM")
    args.source_root = os.path.realpath(args.source_root)
    with tempfile.TemporaryDirectory(prefix="cw_sarif.") as tmp:
        sarif_doc, json_doc, status, err = run_concwatch(args, args.program, tmp)
        problems = ["schema: " + e for e in validate(validator, sarif_doc, "the report")]
        problems += check_against_json(args, sarif_doc, json_doc)
        if args.stable and not problems:
            moved = os.path.join(tmp, "elsewhere")
            os.mkdir(moved)
            exe = shutil.copy2(args.program[0], os.path.join(moved, os.path.basename(args.program[0])))
            again, _, _, _ = run_concwatch(args, [exe] + args.program[1:], tmp)
            if fingerprints(again) != fingerprints(sarif_doc):
                problems.append("fingerprints changed between two runs (the second from %s): %s vs %s"
                                % (moved, fingerprints(sarif_doc), fingerprints(again)))
    for line in problems:
        print("FAIL:", line)
    if problems:
        print("concwatch exit status %d; its stderr:\n%s" % (status, err[-5000:]))
        return 1
    print("SARIF valid: %d result(s), rules %s" % (len(sarif_doc["runs"][0]["results"]),
                                                   sorted({r["ruleId"] for r in sarif_doc["runs"][0]["results"]})))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The README's generated blocks are what concwatch prints.

  <!-- concwatch --help-env: begin ... -->  ...  <!-- concwatch --help-env: end -->
      the table of CONCWATCH_* variables (`concwatch --help-env`, from shim_flags.inc)
  <!-- concwatch --help: begin ... -->  ...  <!-- concwatch --help: end -->
      `concwatch --help` in a code block (from options.inc and help_text.h)

Usage: check_readme.py CONCWATCH README.md [--update]
Without --update: exit 1 (and a diff) when a block differs.
"""
import difflib
import subprocess
import sys


def blocks(launcher):
    def out(flag):
        return subprocess.run([launcher, flag], check=True, capture_output=True, text=True).stdout
    return [("--help-env", out("--help-env")), ("--help", "```\n" + out("--help") + "```\n")]


def main():
    launcher, readme = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv[3:]
    text = open(readme, encoding="utf-8").read()
    status = 0
    for flag, wanted in blocks(launcher):
        begin = "<!-- concwatch %s: begin" % flag
        end = "<!-- concwatch %s: end -->" % flag
        b = text.find(begin)
        e = text.find(end)
        if b < 0 or e < b:
            print(f"{readme}: no '{begin} ... {end}' block")
            status = 1
            continue
        start = text.index("\n", b) + 1
        current = text[start:e]
        if current == wanted:
            print(f"README's block matches concwatch {flag}")
            continue
        if update:
            text = text[:start] + wanted + text[e:]
            print(f"{readme}: block of concwatch {flag} updated")
            continue
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), wanted.splitlines(True),
                                                   "README.md", "concwatch " + flag))
        print(f"the README's block of concwatch {flag} is out of date: run tests/check_readme.py "
              f"{launcher} {readme} --update")
        status = 1
    if update:
        open(readme, "w", encoding="utf-8").write(text)
    return status


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The README's table of environment variables is `concwatch --help-env`.

Usage: check_readme.py CONCWATCH README.md [--update]
Without --update: exit 1 (and a diff) when the README's block differs.
"""
import difflib
import subprocess
import sys

BEGIN = "<!-- concwatch --help-env: begin"
END = "<!-- concwatch --help-env: end -->"


def main():
    launcher, readme = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv[3:]
    table = subprocess.run([launcher, "--help-env"], check=True, capture_output=True, text=True).stdout
    text = open(readme, encoding="utf-8").read()
    b = text.find(BEGIN)
    e = text.find(END)
    if b < 0 or e < b:
        print(f"{readme}: no '{BEGIN} ... {END}' block")
        return 1
    start = text.index("\n", b) + 1
    current = text[start:e]
    if current == table:
        print("README's environment table matches concwatch --help-env")
        return 0
    if update:
        open(readme, "w", encoding="utf-8").write(text[:start] + table + text[e:])
        print(f"{readme}: environment table updated")
        return 0
    sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), table.splitlines(True),
                                               "README.md", "concwatch --help-env"))
    print("the README's environment table is out of date: run tests/check_readme.py "
          f"{launcher} {readme} --update")
    return 1


if __name__ == "__main__":
    sys.exit(main())

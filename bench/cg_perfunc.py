#!/usr/bin/env python3
"""cg_perfunc.py NATIVE_SMALL NATIVE_BIG SHIM_SMALL SHIM_BIG UNITS [TOP]

Where the instructions of one unit of work go, from four callgrind runs of the
same workload: natively and with the shim, each at two sizes UNITS apart, so
that start-up and exit cancel.  Prints markdown: the totals per unit (native,
with the shim, added), then the functions whose exclusive instruction count per
unit changed most (the shim's own functions, and the program's and the C
library's when the shim makes them do more or less), as "file:function", with
the shim's inlined helpers counted where they were inlined (callgrind charges
an inlined line to its file and the function it was inlined into).
"""
import re
import subprocess
import sys


def per_function(path):
    out = subprocess.run(['callgrind_annotate', '--inclusive=no', '--threshold=100', '--show-percs=no',
                          '--auto=no', path], capture_output=True, text=True, check=True).stdout
    total, funcs = 0, {}
    for line in out.splitlines():
        m = re.match(r'\s*([\d,]+)\s+(\S.*)$', line)
        if not m:
            continue
        count = int(m.group(1).replace(',', ''))
        name = m.group(2)
        if 'PROGRAM TOTALS' in name:
            total = count
            continue
        if ':' not in name:
            continue
        name = re.sub(r' \[.*\]$', '', name)
        # Paths: keep what says where a function lives, not the machine's layout.
        name = re.sub(r'^.*/(detector|preload|bench|samples)/', r'\1/', name)
        name = re.sub(r'^\./[^:]*/(\w+/[^/:]+:)', r'\1', name)
        name = re.sub(r'^.*/memcached[^/]*/src/\w+/', 'memcached/', name)
        funcs[name] = funcs.get(name, 0) + count
    return total, funcs


def main():
    ns, nb, ss, sb = (per_function(p) for p in sys.argv[1:5])
    units = float(sys.argv[5])
    top = int(sys.argv[6]) if len(sys.argv) > 6 else 15
    native = (nb[0] - ns[0]) / units
    shim = (sb[0] - ss[0]) / units
    print(f'native {native:.0f} Ir, with the shim {shim:.0f} Ir: +{shim - native:.0f} ({shim / native:.2f}x)')
    print()
    names = set(ns[1]) | set(nb[1]) | set(ss[1]) | set(sb[1])
    rows = []
    for n in names:
        a = (nb[1].get(n, 0) - ns[1].get(n, 0)) / units
        b = (sb[1].get(n, 0) - ss[1].get(n, 0)) / units
        if abs(b - a) >= 0.5:
            rows.append((b - a, a, b, n))
    rows.sort(key=lambda r: -abs(r[0]))
    print('| added Ir/unit | native | with shim | file:function |')
    print('|---:|---:|---:|---|')
    for d, a, b, n in rows[:top]:
        print(f'| {d:+.1f} | {a:.1f} | {b:.1f} | `{n}` |')
    rest = sum(r[0] for r in rows[top:])
    if rows[top:]:
        print(f'| {rest:+.1f} | | | ({len(rows) - top} more) |')


if __name__ == '__main__':
    main()

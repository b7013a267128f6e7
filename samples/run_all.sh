#!/bin/sh
# Runs concwatch over every bundled sample and prints what it reports, next to
# what the sample states it must produce.  Usage: samples/run_all.sh [BUILD_DIR]
build=${1:-build}
concwatch="$build/bin/concwatch"
[ -x "$concwatch" ] || { echo "run_all.sh: no $concwatch; build first" >&2; exit 2; }
pass=0 fail=0
json=$(mktemp) && trap 'rm -f "$json"' EXIT
for src in samples/*.c samples/*.cpp samples/*.py; do
    [ -e "$src" ] || continue
    name=$(basename "$src"); name=${name%.*}
    case "$src" in
        *.py) cmd="python3 $src" ;;
        *) [ -x "$build/samples/$name" ] || continue; cmd="$build/samples/$name" ;;
    esac
    expect=$(sed -n 's/^[#/ ]*concwatch-expect: *//p' "$src" | head -n 1)
    "$concwatch" -q --json "$json" -- $cmd >/dev/null 2>&1 </dev/null
    got=$(python3 -c 'import json,sys,collections
c=collections.Counter(f["kind"] for f in json.load(open(sys.argv[1]))["findings"])
print(",".join(f"{k}={v}" for k,v in sorted(c.items())) or "clean")' "$json" 2>/dev/null)
    want=$(printf '%s' "$expect" | tr ',' '\n' | sort | paste -sd, -)
    if [ "$got" = "$want" ]; then pass=$((pass + 1)); mark=ok; else fail=$((fail + 1)); mark=MISMATCH; fi
    printf '%-32s expects %-36s got %-36s %s\n' "$name" "$expect" "$got" "$mark"
done
echo "$pass samples as stated, $fail not"
[ "$fail" -eq 0 ]

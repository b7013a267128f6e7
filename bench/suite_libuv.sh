#!/usr/bin/env bash
# bench/suite_libuv.sh [BUILD_DIR]
#
# A real C project's own multithreaded test suite under concwatch (issue 15):
# libuv's (Debian source package libuv1), 400-odd tests, each run by its
# runner in a child process of its own (a process tree), many of them with
# threads: mutexes, rwlocks, semaphores, condition variables, barriers, the
# thread pool, async handles woken from other threads.
#
# Fetches and builds the source package into BUILD_DIR/bench/libuv (once),
# runs `uv_run_tests` natively and under concwatch (REPS times each,
# interleaved; default 1), and prints: both times and their ratio, the
# tests that passed/failed/were skipped in each, and concwatch's findings.
# A test whose result differs is run again 3 times both ways; one that also
# fails natively is flaky here (network timing in a sandbox) and is named
# as such.  Verdicts: same results as natively, no finding, <= 2x time.
#
# libuv's runner refuses to run as root: as root, the suite runs as `nobody`
# (setpriv) in a copy of the build owned by it.  Needs apt-get with deb-src
# (see bench/run.sh, workload 5), dpkg-source, cmake.  Not part of CTest (it
# takes a few minutes).
set -uo pipefail
BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd) || exit 2
CONCWATCH=$BUILD/bin/concwatch
REPS=${REPS:-1}
WORK=$BUILD/bench/libuv
mkdir -p "$WORK"
log() { echo "suite_libuv: $*" >&2; }

if [ ! -x "$WORK/src/build/uv_run_tests" ]; then
    log "fetching and building libuv1 (a minute or two, once)"
    rm -rf "$WORK/src" "$WORK"/*.dsc "$WORK"/*.tar.* && : >"$WORK/fetch.log"
    if ! (cd "$WORK" && apt-get source --download-only libuv1) >>"$WORK/fetch.log" 2>&1; then
        echo "skipped: Debian source of libuv1 unavailable (a deb-src line is needed; bench/run.sh adds one); see $WORK/fetch.log"
        exit 0
    fi
    dsc=$(ls "$WORK"/*.dsc | head -n 1)
    dpkg-source -x "$dsc" "$WORK/src" >>"$WORK/fetch.log" 2>&1 &&
        cmake -S "$WORK/src" -B "$WORK/src/build" -DLIBUV_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            >>"$WORK/fetch.log" 2>&1 &&
        cmake --build "$WORK/src/build" -j"$(nproc)" --target uv_run_tests >>"$WORK/fetch.log" 2>&1 ||
        { echo "skipped: building libuv1 failed; see $WORK/fetch.log"; exit 0; }
    basename "$dsc" .dsc >"$WORK/source"
fi

# Where the suite runs: its tests write files in the current directory.
RUN=$WORK/run
rm -rf "$RUN" && mkdir -p "$RUN/out"
cp -r "$WORK/src/build/uv_run_tests" "$WORK/src/test" "$RUN/"
AS=()
if [ "$(id -u)" = 0 ]; then
    chown -R nobody:nogroup "$RUN" && chmod 755 "$WORK" "$BUILD/bench" 2>/dev/null
    AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
fi

# run_suite NAME [concwatch...]: TAP in $RUN/out/NAME.tap, seconds in $RUN/out/NAME.time
run_suite() {
    local name=$1; shift
    local start end
    start=$(date +%s.%N)
    (cd "$RUN" && "${AS[@]}" "$@" ./uv_run_tests >"$RUN/out/$name.tap" 2>&1)
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }' >"$RUN/out/$name.time"
}

results() { grep -E '^(ok|not ok) ' "$1" | sed -E 's/^(ok|not ok) [0-9]+ - ([^ ]+)( # SKIP.*)?$/\2 \1\3/' | sort; }

for rep in $(seq "$REPS"); do
    log "run $rep/$REPS: native"
    run_suite "native$rep"
    log "run $rep/$REPS: concwatch"
    run_suite "concwatch$rep" "$CONCWATCH" -q --json "$RUN/out/concwatch$rep.json" --
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
native=$(cat "$RUN"/out/native*.time | median)
cw=$(cat "$RUN"/out/concwatch*.time | median)
ratio=$(awk -v a="$cw" -v b="$native" 'BEGIN { printf "%.2f", a / b }')

echo "libuv test suite ($(cat "$WORK/source")), $(results "$RUN/out/native1.tap" | wc -l) tests, run by $(${AS[@]+"${AS[@]}"} id -un), $REPS run(s) each"
echo "time: native ${native} s, concwatch ${cw} s (median): ${ratio}x"
for name in native1 concwatch1; do
    r=$(results "$RUN/out/$name.tap")
    echo "$name: $(grep -cv -e ' not ok' -e '# SKIP' <<<"$r") passed, $(grep -c ' not ok$' <<<"$r") failed, $(grep -c '# SKIP' <<<"$r") skipped"
done
findings=$(python3 -c "
import json, sys
f = e = 0
for path in sys.argv[1:]:
    r = json.load(open(path))
    f += len(r['findings'])
    e += r.get('internal_errors', 0)
print(f, e)" "$RUN"/out/concwatch*.json 2>/dev/null || echo "? ?")
read -r nfind nerr <<<"$findings"
echo "concwatch: $nfind findings, $nerr internal errors (all runs)"
grep -E '^(WARNING|SUMMARY): concwatch|^concwatch: ' "$RUN/out/concwatch1.tap" | head -20

# Tests whose results differ: flaky natively, or concwatch's doing?
diff_tests=$(diff <(results "$RUN/out/native1.tap") <(results "$RUN/out/concwatch1.tap") | grep -E '^[<>]' |
             awk '{print $2}' | sort -u)
caused=0
for t in $diff_tests; do
    nf=0 cf=0
    for i in 1 2 3; do
        (cd "$RUN" && "${AS[@]}" ./uv_run_tests "$t" "$t" >/dev/null 2>&1) || nf=$((nf + 1))
        (cd "$RUN" && "${AS[@]}" "$CONCWATCH" -q -- ./uv_run_tests "$t" "$t" >/dev/null 2>&1) || cf=$((cf + 1))
    done
    if [ $nf -gt 0 ]; then
        echo "differs: $t: flaky natively (failed $nf/3 natively, $cf/3 under concwatch, run alone)"
    else
        echo "differs: $t: failed $cf/3 under concwatch, never natively"
        [ $cf -gt 0 ] && caused=$((caused + 1))
    fi
done

verdict() { echo "verdict: libuv suite: $1: $2"; }
[ "$caused" = 0 ] && verdict "same results as natively (but for tests flaky natively)" met ||
    verdict "same results as natively" "NOT MET ($caused tests fail only under concwatch)"
[ "$nfind" = 0 ] && [ "$nerr" = 0 ] && verdict "no finding" met || verdict "no finding" "NOT MET ($nfind findings, $nerr internal errors)"
awk -v r="$ratio" 'BEGIN { exit !(r <= 2) }' && verdict "at most 2x native time (${ratio}x)" met ||
    verdict "at most 2x native time (${ratio}x)" "NOT MET"

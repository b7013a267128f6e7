#!/usr/bin/env bash
# bench/run.sh [BUILD_DIR]: time every workload natively, under concwatch -q, as its
# -fsanitize=thread build, under helgrind and drd, and print a markdown table of
# median wall time, spread (min-max), ratio to native and peak RSS.
# BUILD_DIR (default: build) must have been built: cmake --build BUILD_DIR.
# The whole run takes about 5 minutes on a 2-core machine.
set -u

SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$SRC_DIR/$BUILD ;; esac
BIN=$BUILD/bench
CONCWATCH=$BUILD/bin/concwatch
LOGS=$BIN/logs

REPS=${REPS:-5}          # native, concwatch, tsan
VG_REPS=${VG_REPS:-3}    # helgrind, drd
VG_TIMEOUT=${VG_TIMEOUT:-90}  # seconds per valgrind run before it counts as skipped

for f in "$CONCWATCH" "$BIN/uncontended_pairs" "$BIN/uncontended_pairs_tsan"; do
    if [ ! -x "$f" ]; then
        echo "run.sh: $f missing: build first (cmake --build $BUILD)" >&2
        exit 2
    fi
done
mkdir -p "$LOGS"

HAVE_VALGRIND=0; command -v valgrind >/dev/null && HAVE_VALGRIND=1
HAVE_TIME=0; [ -x /usr/bin/time ] && HAVE_TIME=1

# Workloads: name, full count, valgrind count (the valgrind time is multiplied by
# full/valgrind count; "-" = skip that tool, with the reason in VG_SKIP_<tool>_<name>).
WORKLOADS=(
    "uncontended_pairs 10000000 1000000"
    "ordered_pairs     2000000  200000"
    "mutex_churn       1000000  100000"
    "many_threads      1000     1000"
)
VG_SKIP_drd_many_threads="skipped: DRD aborts above its thread limit; with --max-threads=1200 it took 213 s"
PY_COUNT=200000   # increments per Python thread (4 threads)

TSAN_ENV="TSAN_OPTIONS=detect_deadlocks=1 report_signal_unsafe=0"

now_ns() { date +%s%N; }

# run_timed LOG CMD...: run once; prints "SECONDS RSS_KB RC" (RSS "-" when unknown).
run_timed() {
    local log=$1; shift
    local t0 t1 rc rss=-
    t0=$(now_ns)
    if [ "$HAVE_TIME" = 1 ]; then
        /usr/bin/time -f %M -o "$log.rss" "$@" >"$log" 2>&1
        rc=$?
        rss=$(tail -n 1 "$log.rss" 2>/dev/null)
        case $rss in ''|*[!0-9]*) rss=- ;; esac
    else
        "$@" >"$log" 2>&1
        rc=$?
    fi
    t1=$(now_ns)
    echo "$(( (t1 - t0) / 1000 ))e-6 $rss $rc"
}

# measure NAME TOOL REPS SCALE CMD...: prints "median min max rss_median status"
# (seconds already multiplied by SCALE; status "ok" or "exit N").
measure() {
    local name=$1 tool=$2 reps=$3 scale=$4; shift 4
    local i out times="" rsses="" status=ok
    for ((i = 1; i <= reps; i++)); do
        out=$(run_timed "$LOGS/$name.$tool.$i.log" "$@")
        read -r t rss rc <<<"$out"
        times="$times $t"
        rsses="$rsses $rss"
        if [ "$rc" != 0 ]; then
            status="exit $rc"
            [ "$rc" = 124 ] && status=timeout
            break
        fi
    done
    awk -v scale="$scale" -v status="$status" -v ts="$times" -v rs="$rsses" '
        function median(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        function sort(a, n,   i, j, v) {
            for (i = 2; i <= n; i++) { v = a[i]; for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]; a[j + 1] = v }
        }
        BEGIN {
            n = split(ts, t, " "); for (i = 1; i <= n; i++) t[i] *= scale; sort(t, n)
            m = split(rs, r, " "); rss = "-"
            if (r[1] != "-") { sort(r, m); rss = median(r, m) }
            printf "%.3f %.3f %.3f %s %s\n", median(t, n), t[1], t[n], rss, status
        }'
}

# row WORKLOAD TOOL COUNT NATIVE_MEDIAN NOTE MEASUREMENT: one table row.
row() {
    local name=$1 tool=$2 count=$3 native=$4 note=$5
    local med=$6 lo=$7 hi=$8 rss=$9 status=${10}
    local ratio
    if [ "$status" = timeout ]; then
        printf '| %s | %s | %s | %s | | | | |\n' "$name" "$tool" "$count" \
            "skipped: one run took over ${VG_TIMEOUT} s"
        return
    elif [ "$status" != ok ]; then
        printf '| %s | %s | %s | %s | | | | %s |\n' "$name" "$tool" "$count" "FAILED ($status)" \
            "log: $(basename "$LOGS")/$name.$tool.*.log $note"
        return
    fi
    ratio=$(awk -v m="$med" -v n="$native" 'BEGIN { if (n > 0) printf "%.1fx", m / n; else print "-" }')
    [ "$rss" != - ] && rss="$(( rss / 1024 )).$(( (rss % 1024) * 10 / 1024 )) MiB"
    printf '| %s | %s | %s | %.3f s | %.3f-%.3f | %s | %s | %s |\n' \
        "$name" "$tool" "$count" "$med" "$lo" "$hi" "$ratio" "$rss" "$note"
}

echo "# concwatch overhead, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -sr)"
echo "repetitions: $REPS (native, concwatch, tsan), $VG_REPS (helgrind, drd); build: $BUILD"
[ "$HAVE_TIME" = 1 ] || echo "peak RSS: /usr/bin/time not found, column left empty"
[ "$HAVE_VALGRIND" = 1 ] || echo "valgrind not found: helgrind/drd rows skipped"
echo
echo "| workload | tool | count | median | min-max (s) | vs native | peak RSS | note |"
echo "|---|---|---|---|---|---|---|---|"

for spec in "${WORKLOADS[@]}"; do
    read -r name count vg_count <<<"$spec"
    exe=$BIN/$name
    set -- $(measure "$name" native "$REPS" 1 "$exe" "$count")
    native=$1
    row "$name" native "$count" "$native" "" "$@"
    row "$name" concwatch "$count" "$native" "" \
        $(measure "$name" concwatch "$REPS" 1 "$CONCWATCH" -q "$exe" "$count")
    row "$name" tsan "$count" "$native" "" \
        $(measure "$name" tsan "$REPS" 1 env $TSAN_ENV "${exe}_tsan" "$count")
    for tool in helgrind drd; do
        skip_var=VG_SKIP_${tool}_${name}
        if [ "$HAVE_VALGRIND" = 0 ]; then
            continue
        elif [ -n "${!skip_var:-}" ]; then
            printf '| %s | %s | %s | %s | | | | |\n' "$name" "$tool" "$count" "${!skip_var}"
            continue
        fi
        scale=$(( count / vg_count ))
        note=""
        [ "$scale" != 1 ] && note="measured at count $vg_count, time x$scale"
        row "$name" "$tool" "$count" "$native" "$note" \
            $(measure "$name" "$tool" "$VG_REPS" "$scale" \
                timeout "$VG_TIMEOUT" valgrind -q --tool="$tool" "$exe" "$vg_count")
    done
done

# Python: the interpreter is the workload; only native vs concwatch make sense.
py=$BIN/py_locked_counter.py
set -- $(measure py_locked_counter native "$REPS" 1 python3 "$py" "$PY_COUNT")
native=$1
row py_locked_counter native "4x$PY_COUNT" "$native" "" "$@"
row py_locked_counter concwatch "4x$PY_COUNT" "$native" "" \
    $(measure py_locked_counter concwatch "$REPS" 1 "$CONCWATCH" -q python3 "$py" "$PY_COUNT")

echo
echo "median wall time; 'vs native' = median / native median; peak RSS = median of /usr/bin/time %M"
echo "(for concwatch: the largest of launcher and program).  Logs: $LOGS"

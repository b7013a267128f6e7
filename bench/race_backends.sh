#!/usr/bin/env bash
# bench/race_backends.sh [BUILD_DIR]: the data-race sampler's cost under each of its two
# backends, side by side in one run: counter_race (samples/, 10M and 100M rounds), ordered_pairs
# (W2: 4 threads, 8 mutexes, 2M nested pairs) and zstd -T4 (workload 5) natively, under
# concwatch -q with CONCWATCH_RACE_BACKEND=hardware and =software and with CONCWATCH_RACES=0
# (the lock checks alone), counter_race also as the program alone under the shim, as their
# -fsanitize=thread builds and under helgrind.  Prints a markdown table (median wall time,
# spread, ratio to native, findings) and one verdict per backend and workload against the
# issue-10 target (at most 1.5x native).  run.sh runs it at its end; alone it takes about
# 8 minutes on 2 cores.
#
# The hardware rows are skipped, with the reason, when the start-up self-test says debug
# registers do not fire on this host (concwatch's JSON "races": {"method": "off"}).
# zstd must have been fetched and built by run.sh (BUILD_DIR/bench/real/zstd); without it
# the zstd rows are skipped with that reason.
# Environment: REPS (5: native, hardware, software, tsan, interleaved), VG_REPS (3),
# VG_TIMEOUT (90 s), REAL_MB / REAL_TSAN_MB / REAL_VG_MB (300 / 30 / 10), KEEP_CORPUS=1.
set -u

SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$SRC_DIR/$BUILD ;; esac
BIN=$BUILD/bench
CONCWATCH=$BUILD/bin/concwatch
LOGS=$BIN/logs/race_backends
REPS=${REPS:-5}
VG_REPS=${VG_REPS:-3}
VG_TIMEOUT=${VG_TIMEOUT:-90}
REAL=$BIN/real
REAL_MB=${REAL_MB:-300}
REAL_TSAN_MB=${REAL_TSAN_MB:-30}
REAL_VG_MB=${REAL_VG_MB:-10}
RACE_EXE=$BUILD/samples/counter_race
SHIM=$BUILD/bin/libconcwatch.so
SHIM_ONLY_NOTE="the program alone under the shim (no launcher, no report step)"
TSAN_ENV="TSAN_OPTIONS=detect_deadlocks=1 report_signal_unsafe=0"

for f in "$CONCWATCH" "$RACE_EXE" "${RACE_EXE}_tsan" "$BIN/ordered_pairs" "$BIN/ordered_pairs_tsan" "$BIN/gen_corpus"; do
    if [ ! -x "$f" ]; then
        echo "race_backends.sh: $f missing: build first (cmake --build $BUILD)" >&2
        exit 2
    fi
done
rm -rf "$LOGS" && mkdir -p "$LOGS"
HAVE_VALGRIND=0; command -v valgrind >/dev/null && HAVE_VALGRIND=1

# Which backends can run here: the hardware one only where its self-test passes.
BACKENDS="software"
probe=$LOGS/hardware_probe.json
CONCWATCH_RACE_BACKEND=hardware "$CONCWATCH" -q --json "$probe" -- "$RACE_EXE" 100000 >/dev/null 2>&1
HW_STATE=$(python3 - "$probe" <<'EOF'
import json, sys
try:
    r = json.load(open(sys.argv[1])).get("races", {})
except Exception as e:
    print("skip no report from the probe run (%s)" % e); sys.exit()
if r.get("method") == "off":
    print("skip " + str(r.get("detail") or "hardware watchpoints off"))
else:
    print("ok " + str(r.get("method")))
EOF
)
HW_SKIP=""
case $HW_STATE in
    ok*) BACKENDS="hardware software" ;;
    *) HW_SKIP="skipped: the self-test says hardware watchpoints do not work here: ${HW_STATE#skip }" ;;
esac

now_ns() { date +%s%N; }
declare -A TIMES STATUS
# rep KEY CMD...: one timed run (exit 0, or 66 where a finding is expected, counts as ok).
rep() {
    local key=$1 t0 t1 rc; shift
    [ "${STATUS[$key]:=ok}" = ok ] || return 0
    local n=$(( $(wc -w <<<"${TIMES[$key]:-}") + 1 ))
    t0=$(now_ns); "$@" >"$LOGS/$key.$n.log" 2>&1; rc=$?; t1=$(now_ns)
    TIMES[$key]+=" $(( (t1 - t0) / 1000 ))e-6"
    if [ "$rc" != 0 ] && [ "$rc" != "${OK_RC:-0}" ]; then STATUS[$key]="exit $rc"; [ $rc = 124 ] && STATUS[$key]=timeout; fi
}
# med KEY SCALE: "median min max" of KEY's times, multiplied by SCALE.
med() {
    awk -v ts="${TIMES[$1]:-}" -v s="$2" 'BEGIN {
        n = split(ts, t, " "); if (n == 0) { print "0 0 0"; exit }
        for (i = 1; i <= n; i++) t[i] *= s
        for (i = 2; i <= n; i++) { v = t[i]; for (j = i - 1; j >= 1 && t[j] > v; j--) t[j + 1] = t[j]; t[j + 1] = v }
        printf "%.3f %.3f %.3f\n", n % 2 ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2, t[1], t[n] }'
}
# found KEY PATTERN: "K/N" runs whose log has PATTERN.
found() {
    local n=0 k=0 log
    for log in "$LOGS/$1".*.log; do
        [ -e "$log" ] || continue
        n=$((n + 1)); grep -q -- "$2" "$log" && k=$((k + 1))
    done
    echo "$k/$n"
}
declare -A MED
# row WORKLOAD TOOL KEY SCALE NOTE: one table row; remembers the median.
row() {
    local w=$1 tool=$2 key=$3 scale=$4 note=$5 m lo hi
    if [ "${STATUS[$key]:-missing}" != ok ]; then
        printf '| %s | %s | FAILED (%s) | | | log: %s |\n' "$w" "$tool" "${STATUS[$key]:-missing}" "$LOGS/$key.*.log"
        return
    fi
    read -r m lo hi <<<"$(med "$key" "$scale")"
    MED[$key]=$m
    printf '| %s | %s | %.3f s | %.3f-%.3f | %s | %s |\n' "$w" "$tool" "$m" "$lo" "$hi" \
        "$(awk -v a="$m" -v b="${MED[$w.native]:-0}" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')" "$note"
}

echo "## Data-race sampling: hardware and software watchpoints side by side"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $(uname -sr); REPS=$REPS (native, backends, tsan interleaved), VG_REPS=$VG_REPS"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "$HW_SKIP" ] && echo "hardware rows: $HW_SKIP"
echo
echo "| workload | tool | median | min-max (s) | vs native | note |"
echo "|---|---|---|---|---|---|"

# workload NAME NATIVE_CMD TSAN_CMD TSAN_SCALE VG_CMD VG_SCALE RACE(0/1): all rows of one workload.
# The commands are strings (word-split; no quoting inside).
workload() {
    local w=$1 ncmd=$2 tcmd=$3 tscale=$4 vcmd=$5 vscale=$6 race=$7 i b note
    OK_RC=0; [ "$race" = 1 ] && OK_RC=66
    for ((i = 1; i <= REPS; i++)); do
        rep "$w.native" $ncmd
        for b in $BACKENDS; do
            rep "$w.$b" env CONCWATCH_RACE_BACKEND=$b "$CONCWATCH" -q $ncmd
            if [ "$race" = 1 ]; then
                rm -rf "$LOGS/findings" && mkdir -p "$LOGS/findings"
                rep "$w.shim-$b" env CONCWATCH_RACE_BACKEND=$b LD_PRELOAD="$SHIM" CONCWATCH_REPORT_DIR="$LOGS/findings" $ncmd
            fi
        done
        OK_RC=0 rep "$w.norace" env CONCWATCH_RACES=0 "$CONCWATCH" -q $ncmd
        rep "$w.tsan" env $TSAN_ENV $tcmd
    done
    row "$w" native "$w.native" 1 ""
    row "$w" concwatch-norace "$w.norace" 1 "CONCWATCH_RACES=0: lock checks only, no race sampling"
    for b in hardware software; do
        if [[ " $BACKENDS " != *" $b "* ]]; then
            printf '| %s | concwatch %s | %s | | | |\n' "$w" "$b" "$HW_SKIP"
            continue
        fi
        note=""
        [ "$race" = 1 ] && note="race reported in $(found "$w.$b" 'concwatch: data-race') runs"
        [ "$race" = 0 ] && [ "$(found "$w.$b" 'concwatch: ' | cut -d/ -f1)" != 0 ] && note="findings in $(found "$w.$b" 'concwatch: ') runs"
        row "$w" "concwatch $b" "$w.$b" 1 "$note"
        [ "$race" = 1 ] && row "$w" "shim-only $b" "$w.shim-$b" 1 "$SHIM_ONLY_NOTE"
    done
    note=""; [ "$race" = 1 ] && note="race reported in $(found "$w.tsan" 'ThreadSanitizer: data race') runs"
    [ "$tscale" != 1 ] && note="${note:+$note; }measured on 1/$tscale of the work, time x$tscale"
    row "$w" tsan "$w.tsan" "$tscale" "$note"
    if [ "$HAVE_VALGRIND" = 1 ]; then
        for ((i = 1; i <= VG_REPS; i++)); do
            rep "$w.helgrind" timeout "$VG_TIMEOUT" valgrind -q --tool=helgrind $vcmd
        done
        note=""; [ "$race" = 1 ] && note="race reported in $(found "$w.helgrind" 'Possible data race') runs; "
        row "$w" helgrind "$w.helgrind" "$vscale" "${note}measured on 1/$vscale of the work, time x$vscale"
    else
        printf '| %s | helgrind | skipped: valgrind not installed | | | |\n' "$w"
    fi
    OK_RC=0
}

workload counter_race "$RACE_EXE 10000000" "${RACE_EXE}_tsan 10000000" 1 "$RACE_EXE 1000000" 10 1
workload counter_race_100M "$RACE_EXE 100000000" "${RACE_EXE}_tsan 10000000" 10 "$RACE_EXE 1000000" 100 1
workload ordered_pairs "$BIN/ordered_pairs 2000000" "$BIN/ordered_pairs_tsan 2000000" 1 "$BIN/ordered_pairs 200000" 10 0
if [ -x "$REAL/zstd" ] && [ -x "$REAL/zstd_tsan" ]; then
    "$BIN/gen_corpus" "$REAL_MB" "$REAL/corpus.txt" &&
        head -c $((REAL_TSAN_MB * 1048576)) "$REAL/corpus.txt" >"$REAL/corpus_tsan.txt" &&
        head -c $((REAL_VG_MB * 1048576)) "$REAL/corpus.txt" >"$REAL/corpus_vg.txt"
    z="-q -T4 -3 -f"
    workload zstd "$REAL/zstd $z $REAL/corpus.txt -o /dev/null" "$REAL/zstd_tsan $z $REAL/corpus_tsan.txt -o /dev/null" \
        $((REAL_MB / REAL_TSAN_MB)) "$REAL/zstd $z $REAL/corpus_vg.txt -o /dev/null" $((REAL_MB / REAL_VG_MB)) 0
    [ "${KEEP_CORPUS:-0}" = 1 ] || rm -f "$REAL/corpus.txt" "$REAL/corpus_tsan.txt" "$REAL/corpus_vg.txt"
else
    echo "| zstd | all | skipped: $REAL/zstd not built (bench/run.sh fetches and builds it) | | | |"
fi

echo
echo "median wall time; 'vs native' = median / native median; counter_race under concwatch includes"
echo "the report step (symbolizing the finding).  Logs: $LOGS"
echo
echo '```'
for w in counter_race counter_race_100M ordered_pairs zstd; do
    for b in hardware software; do
        # The race programs: their own run under the shim (the report step is not the program's).
        k=$w.$b; [[ $w == counter_race* ]] && k=$w.shim-$b
        if [ -z "${MED[$k]:-}" ] || [ -z "${MED[$w.native]:-}" ]; then
            reason=""; [ $b = hardware ] && reason=${HW_SKIP:+ ($HW_SKIP)}
            echo "verdict: $w, $b watchpoints: NOT MEASURED$reason"
            continue
        fi
        r=$(awk -v a="${MED[$k]}" -v b="${MED[$w.native]}" 'BEGIN { printf "%.2f", a / b }')
        if awk -v r="$r" 'BEGIN { exit !(r <= 1.5) }'; then v=met; else v="NOT MET"; fi
        s=$(awk -v a="${MED[$w.$b]}" -v b="${MED[$w.norace]:-0}" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
        echo "verdict: $w, $b watchpoints: ${r}x native (${k#$w.}: median ${MED[$k]} s vs ${MED[$w.native]} s; target <= 1.5x): $v; the sampling alone: concwatch $s concwatch-norace"
    done
done
echo '```'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

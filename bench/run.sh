#!/usr/bin/env bash
# bench/run.sh [BUILD_DIR]: time every workload natively, under concwatch -q, as its
# -fsanitize=thread build, under helgrind and drd, and print a markdown table of
# median wall time, spread (min-max), ratio to native and peak RSS; then a real
# server, memcached under memcaslap (bench/memcached.sh: ops/s native, concwatch,
# TSan build, helgrind); the cost of a new lock-order edge at 1k, 100k and 1M
# locks; the data-race sampler on samples/counter_race (with shim-only, TSan and
# helgrind rows); then the table of issue 16's targets and one verdict line per
# target of issues 16, 6 and 5; then race_backends.sh and idle_cpu.sh (issue 10).
# Workload 5 (a real program, zstd -T4) and memcached's source builds are made
# from their Debian source packages into BUILD_DIR/bench/ on first use (see
# setup_real, bench/memcached.sh).
# BUILD_DIR (default: build) must have been built: cmake --build BUILD_DIR.
# The whole run takes about 20 minutes on a 2-core machine (+3-4 the first time:
# fetching and building zstd and memcached twice each).
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

RACE_EXE=$BUILD/samples/counter_race
for f in "$CONCWATCH" "$BIN/uncontended_pairs" "$BIN/uncontended_pairs_tsan" \
         "$BIN/edge_scaling" "$BIN/gen_corpus" "$RACE_EXE" "${RACE_EXE}_tsan"; do
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
# Workloads that create threads, where the shim's data-race sampler runs: these
# get one more row, concwatch with CONCWATCH_RACES=0 (lock checks only).
THREADED=" ordered_pairs many_threads zstd "
NORACE_NOTE="CONCWATCH_RACES=0: lock checks only, no race sampling"
VG_SKIP_drd_many_threads="skipped: DRD aborts above its thread limit; with --max-threads=1200 it took 213 s"
PY_COUNT=200000   # increments per Python thread (4 threads)
PY_EXE=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3)

# Workload 5, the real program: zstd (Debian source package libzstd) compressing
# REAL_MB MiB of generated log text with 4 worker threads.  TSan and valgrind
# compress a prefix of it (REAL_TSAN_MB, REAL_VG_MB) and their time is scaled up.
REAL=$BIN/real
REAL_PKG=libzstd
REAL_MB=${REAL_MB:-300}
REAL_TSAN_MB=${REAL_TSAN_MB:-30}
REAL_VG_MB=${REAL_VG_MB:-10}
REAL_THREADS=4
REAL_SKIP=""      # reason, when workload 5 cannot run

# Data races (issue 5): samples/counter_race (one thread deposits, one
# withdraws, no lock) at its default size and 10x longer: rounds, TSan rounds,
# valgrind rounds (TSan and valgrind run fewer rounds; their time is scaled up).
RACE_RUNS=(
    "10000000  10000000 1000000"
    "100000000 10000000 1000000"
)

EDGE_SIZES=${EDGE_SIZES:-"1000 100000 1000000"}
EDGE_REPS=${EDGE_REPS:-3}

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

# Per "WORKLOAD.TOOL": the times and RSSes of its runs so far, and its status
# ("ok", "exit_N" or "timeout"; after a failure the tool is not run again).
# OK_RC: one more exit status that is not a failure (66 in the data-race
# section, where the tools are expected to report).
declare -A TIMES RSSES RUNST

# rep NAME TOOL I CMD...: one timed run of CMD, appended to NAME.TOOL's results.
rep() {
    local key=$1.$2 i=$3 t rss rc; shift 3
    [ "${RUNST[$key]:=ok}" = ok ] || return 0
    read -r t rss rc <<<"$(run_timed "$LOGS/$key.$i.log" "$@")"
    TIMES[$key]+=" $t"
    RSSES[$key]+=" $rss"
    if [ "$rc" != 0 ] && [ "$rc" != "${OK_RC:-0}" ]; then
        RUNST[$key]=exit_$rc
        [ "$rc" = 124 ] && RUNST[$key]=timeout
    fi
}

# summary NAME TOOL SCALE: prints "median min max rss_median status" of NAME.TOOL's
# runs (seconds multiplied by SCALE).
summary() {
    local key=$1.$2 scale=$3
    awk -v scale="$scale" -v status="${RUNST[$key]:-missing}" -v ts="${TIMES[$key]:-}" -v rs="${RSSES[$key]:-}" '
        function median(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        function sort(a, n,   i, j, v) {
            for (i = 2; i <= n; i++) { v = a[i]; for (j = i - 1; j >= 1 && a[j] > v; j--) a[j + 1] = a[j]; a[j + 1] = v }
        }
        BEGIN {
            n = split(ts, t, " "); for (i = 1; i <= n; i++) t[i] *= scale; sort(t, n)
            m = split(rs, r, " "); rss = "-"
            if (m > 0 && r[1] != "-") { sort(r, m); rss = median(r, m) }
            if (n == 0) { print "0 0 0 - " status; exit }
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
        printf '| %s | %s | %s | %s | | | | %s |\n' "$name" "$tool" "$count" "FAILED (${status/_/ })" \
            "log: $(basename "$LOGS")/$name.$tool.*.log $note"
        return
    fi
    ratio=$(awk -v m="$med" -v n="$native" 'BEGIN { if (n > 0) printf "%.1fx", m / n; else print "-" }')
    [ "$rss" != - ] && rss="$(( rss / 1024 )).$(( (rss % 1024) * 10 / 1024 )) MiB"
    printf '| %s | %s | %s | %.3f s | %.3f-%.3f | %s | %s | %s |\n' \
        "$name" "$tool" "$count" "$med" "$lo" "$hi" "$ratio" "$rss" "$note"
}

# ---- workload 5: fetch and build zstd -----------------------------------------

. "$SRC_DIR/bench/deb_src.sh"   # add_deb_src


# setup_real: BUILD/bench/real/{zstd,zstd_tsan} from the Debian source package
# (kept out of the repository: fetched into the build dir), and the input
# files.  Sets REAL_SKIP to the reason when it cannot.
setup_real() {
    mkdir -p "$REAL"
    if [ ! -x "$REAL/zstd" ] || [ ! -x "$REAL/zstd_tsan" ]; then
        echo "run.sh: workload 5: fetching and building $REAL_PKG (about a minute, once)" >&2
        rm -rf "$REAL/src" && mkdir -p "$REAL/src"
        : >"$REAL/fetch.log"
        if ! command -v apt-get >/dev/null || ! command -v dpkg-source >/dev/null; then
            REAL_SKIP="skipped: needs apt-get and dpkg-source (Debian, dpkg-dev) to fetch $REAL_PKG"
            return
        fi
        if ! (cd "$REAL/src" && apt-get source --download-only "$REAL_PKG") >>"$REAL/fetch.log" 2>&1; then
            if ! add_deb_src "$REAL/fetch.log" ||
                ! (cd "$REAL/src" && apt-get source --download-only "$REAL_PKG") >>"$REAL/fetch.log" 2>&1; then
                REAL_SKIP="skipped: Debian source of $REAL_PKG unavailable ($(grep -m1 '^E:' "$REAL/fetch.log" | cut -c1-120)); see $REAL/fetch.log"
                return
            fi
        fi
        local dsc variant flags
        dsc=$(ls "$REAL"/src/*.dsc | head -n 1)
        for variant in native tsan; do
            flags="-O2 -g"
            [ $variant = tsan ] && flags="-O2 -g -fsanitize=thread"
            if ! dpkg-source -x "$dsc" "$REAL/src/$variant" >>"$REAL/fetch.log" 2>&1 ||
                ! make -C "$REAL/src/$variant/programs" -j"$(nproc)" zstd \
                    HAVE_ZLIB=0 HAVE_LZMA=0 HAVE_LZ4=0 CFLAGS="$flags" LDFLAGS="${flags#-O2 -g}" \
                    >>"$REAL/fetch.log" 2>&1; then
                REAL_SKIP="skipped: building $REAL_PKG ($variant) failed; see $REAL/fetch.log"
                return
            fi
        done
        cp "$REAL/src/native/programs/zstd" "$REAL/zstd" &&
            cp "$REAL/src/tsan/programs/zstd" "$REAL/zstd_tsan" || { REAL_SKIP="skipped: copy failed"; return; }
        basename "$dsc" .dsc >"$REAL/source"
    fi
    # Input: generated once per run, deleted at the end (KEEP_CORPUS=1 keeps it).
    "$BIN/gen_corpus" "$REAL_MB" "$REAL/corpus.txt" &&
        head -c $((REAL_TSAN_MB * 1048576)) "$REAL/corpus.txt" >"$REAL/corpus_tsan.txt" &&
        head -c $((REAL_VG_MB * 1048576)) "$REAL/corpus.txt" >"$REAL/corpus_vg.txt" ||
        REAL_SKIP="skipped: could not write the input files in $REAL"
}

# ---- results kept for the verdicts ---------------------------------------------

declare -A MED MIN RSS_KB STATUS

# show NAME TOOL COUNT NATIVE_MEDIAN NOTE SCALE: remember NAME.TOOL's summary for the
# verdicts and print its row (NATIVE_MEDIAN empty: this is the native row).
show() {
    local name=$1 tool=$2 count=$3 native=$4 note=$5 scale=$6 m
    m=$(summary "$name" "$tool" "$scale")
    read -r "MED[$name.$tool]" "MIN[$name.$tool]" _ "RSS_KB[$name.$tool]" "STATUS[$name.$tool]" <<<"$m"
    [ -n "$native" ] || native=${MED[$name.$tool]}
    row "$name" "$tool" "$count" "$native" "$note" $m
}

# bench NAME TOOL COUNT NATIVE_MEDIAN NOTE REPS SCALE CMD...: REPS runs in a row, then its row.
bench() {
    local name=$1 tool=$2 count=$3 native=$4 note=$5 reps=$6 scale=$7 i; shift 7
    for ((i = 1; i <= reps; i++)); do
        rep "$name" "$tool" "$i" "$@"
    done
    show "$name" "$tool" "$count" "$native" "$note" "$scale"
}

# valgrind_rows NAME COUNT SCALE NOTE NATIVE_MEDIAN CMD...: helgrind and drd rows (CMD runs
# the smaller size; its time is multiplied by SCALE).
valgrind_rows() {
    local name=$1 count=$2 scale=$3 note=$4 native=$5; shift 5
    local tool skip_var
    for tool in helgrind drd; do
        skip_var=VG_SKIP_${tool}_${name}
        if [ "$HAVE_VALGRIND" = 0 ]; then
            continue
        elif [ -n "${!skip_var:-}" ]; then
            printf '| %s | %s | %s | %s | | | | |\n' "$name" "$tool" "$count" "${!skip_var}"
            continue
        fi
        bench "$name" "$tool" "$count" "$native" "$note" "$VG_REPS" "$scale" \
            timeout "$VG_TIMEOUT" valgrind -q --tool="$tool" "$@"
    done
}

setup_real

echo "# concwatch overhead, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -sr)"
echo "repetitions: $REPS (native, concwatch, tsan), $VG_REPS (helgrind, drd); build: $BUILD"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -z "$REAL_SKIP" ]; then
    echo "workload 5: $("$REAL/zstd" -V | sed 's/^\** *//; s/ *\**$//; s/, by .*//') built from Debian source package $(cat "$REAL/source" 2>/dev/null), compressing $REAL_MB MiB of generated log text with -T$REAL_THREADS"
fi
echo "Python workload: $PY_EXE ($("$PY_EXE" -V 2>&1))"
[ "$HAVE_TIME" = 1 ] || echo "peak RSS: /usr/bin/time not found, column left empty"
[ "$HAVE_VALGRIND" = 1 ] || echo "valgrind not found: helgrind/drd rows skipped"
echo
echo "| workload | tool | count | median | min-max (s) | vs native | peak RSS | note |"
echo "|---|---|---|---|---|---|---|---|"

for spec in "${WORKLOADS[@]}"; do
    read -r name count vg_count <<<"$spec"
    exe=$BIN/$name
    # Interleaved (native, concwatch, tsan, native, ...): load from other jobs on
    # the machine then falls on all three alike instead of on one tool's block.
    for ((i = 1; i <= REPS; i++)); do
        rep "$name" native "$i" "$exe" "$count"
        rep "$name" concwatch "$i" "$CONCWATCH" -q "$exe" "$count"
        [[ $THREADED == *" $name "* ]] &&
            rep "$name" concwatch-norace "$i" env CONCWATCH_RACES=0 "$CONCWATCH" -q "$exe" "$count"
        rep "$name" tsan "$i" env $TSAN_ENV "${exe}_tsan" "$count"
    done
    show "$name" native "$count" "" "" 1
    native=${MED[$name.native]}
    show "$name" concwatch "$count" "$native" "" 1
    [[ $THREADED == *" $name "* ]] && show "$name" concwatch-norace "$count" "$native" "$NORACE_NOTE" 1
    show "$name" tsan "$count" "$native" "" 1
    scale=$(( count / vg_count ))
    note=""
    [ "$scale" != 1 ] && note="measured at count $vg_count, time x$scale"
    valgrind_rows "$name" "$count" "$scale" "$note" "$native" "$exe" "$vg_count"
done

# Workload 5: the real program.  zstd -T4 writes to /dev/null (no disk noise).
name=zstd
count="$REAL_MB MiB -T$REAL_THREADS"
if [ -n "$REAL_SKIP" ]; then
    printf '| %s | %s | %s | %s | | | | |\n' "$name" all "$count" "$REAL_SKIP"
else
    zstd_args=(-q -T"$REAL_THREADS" -3 -f)
    for ((i = 1; i <= REPS; i++)); do
        rep "$name" native "$i" "$REAL/zstd" "${zstd_args[@]}" "$REAL/corpus.txt" -o /dev/null
        rep "$name" concwatch "$i" "$CONCWATCH" -q "$REAL/zstd" "${zstd_args[@]}" "$REAL/corpus.txt" -o /dev/null
        rep "$name" concwatch-norace "$i" env CONCWATCH_RACES=0 \
            "$CONCWATCH" -q "$REAL/zstd" "${zstd_args[@]}" "$REAL/corpus.txt" -o /dev/null
        rep "$name" tsan "$i" env $TSAN_ENV "$REAL/zstd_tsan" "${zstd_args[@]}" "$REAL/corpus_tsan.txt" -o /dev/null
    done
    show "$name" native "$count" "" "" 1
    native=${MED[$name.native]}
    show "$name" concwatch "$count" "$native" "" 1
    show "$name" concwatch-norace "$count" "$native" "$NORACE_NOTE" 1
    scale=$(( REAL_MB / REAL_TSAN_MB ))
    show "$name" tsan "$count" "$native" "measured on $REAL_TSAN_MB MiB, time x$scale" "$scale"
    scale=$(( REAL_MB / REAL_VG_MB ))
    valgrind_rows "$name" "$count" "$scale" "measured on $REAL_VG_MB MiB, time x$scale" "$native" \
        "$REAL/zstd" "${zstd_args[@]}" "$REAL/corpus_vg.txt" -o /dev/null
    [ "${KEEP_CORPUS:-0}" = 1 ] || rm -f "$REAL/corpus.txt" "$REAL/corpus_tsan.txt" "$REAL/corpus_vg.txt"
fi

# Python: the interpreter is the workload; only native vs concwatch make sense.
# The interpreter itself (sys.executable), not a wrapper script in front of it
# (pyenv's python3 is a bash script: its start-up, 0.1-0.3 s here, is not Python's).
py=$BIN/py_locked_counter.py
for ((i = 1; i <= REPS; i++)); do
    rep py_locked_counter native "$i" "$PY_EXE" "$py" "$PY_COUNT"
    rep py_locked_counter concwatch "$i" "$CONCWATCH" -q "$PY_EXE" "$py" "$PY_COUNT"
done
show py_locked_counter native "4x$PY_COUNT" "" "" 1
show py_locked_counter concwatch "4x$PY_COUNT" "${MED[py_locked_counter.native]}" "" 1
echo
echo "median wall time; 'vs native' = median / native median; peak RSS = median of /usr/bin/time %M"
echo "(for concwatch: the largest of launcher and program).  Logs: $LOGS"

# ---- a real server: memcached ----------------------------------------------------
# bench/memcached.sh prints its own table and appends "TOOL MEDIAN MIN MAX CPU" per
# tool to MC_RESULTS for the verdicts.
declare -A MC_OPS
MC_RESULTS=$LOGS/memcached.results
rm -f "$MC_RESULTS"
echo
RESULTS=$MC_RESULTS REPS=${MC_REPS:-3} bash "$SRC_DIR/bench/memcached.sh" "$BUILD" 2>"$LOGS/memcached.stderr" |
    sed 's/^# memcached under load,.*/## A real server: memcached under memcaslap/'
[ -s "$MC_RESULTS" ] || echo "memcached: not measured (see $LOGS/memcached.stderr)"
while read -r tool med _; do MC_OPS[$tool]=$med; done <"$MC_RESULTS" 2>/dev/null

# ---- data races ----------------------------------------------------------------
# found NAME TOOL PATTERN: "race reported in K/N runs" from NAME.TOOL's logs.
found() {
    local name=$1 tool=$2 pattern=$3 n=0 k=0 log
    for log in "$LOGS/$name.$tool".*.log; do
        [ -e "$log" ] || continue
        n=$((n + 1))
        grep -q -- "$pattern" "$log" && k=$((k + 1))
    done
    echo "race reported in $k/$n runs"
}

echo
echo "## Data races: the counter race, sampled with hardware watchpoints"
echo
echo "samples/counter_race ROUNDS: one thread deposits 1, another withdraws 1, ROUNDS times each,"
echo "no lock.  concwatch samples it with watchpoints (no recompile); concwatch-norace is the same"
echo "run with the sampler off (CONCWATCH_RACES=0), so concwatch / concwatch-norace is what the"
echo "sampling costs, report step included; shim-only is how much the sampling slows the program"
echo "itself; tsan is the -fsanitize=thread build.  The lock-heavy program is ordered_pairs above"
echo "(its concwatch and concwatch-norace rows: no finding, so no report step)."

echo
echo "| workload | tool | count | median | min-max (s) | vs native | peak RSS | note |"
echo "|---|---|---|---|---|---|---|---|"
OK_RC=66
SHIM=$BUILD/bin/libconcwatch.so
RACE_DIR=$LOGS/race_findings
SHIM_ONLY_NOTE="the program's own run with sampling on: the shim preloaded without the launcher, whose report step (symbolizing the finding) is left out"
declare -a RACE_NAMES=()
for spec in "${RACE_RUNS[@]}"; do
    read -r rounds tsan_rounds vg_rounds <<<"$spec"
    name=counter_race_$rounds
    RACE_NAMES+=("$name")
    for ((i = 1; i <= REPS; i++)); do
        rep "$name" native "$i" "$RACE_EXE" "$rounds"
        rep "$name" concwatch "$i" "$CONCWATCH" -q "$RACE_EXE" "$rounds"
        rep "$name" concwatch-norace "$i" env CONCWATCH_RACES=0 "$CONCWATCH" -q "$RACE_EXE" "$rounds"
        rm -rf "$RACE_DIR" && mkdir -p "$RACE_DIR"
        rep "$name" shim-only "$i" env LD_PRELOAD="$SHIM" CONCWATCH_REPORT_DIR="$RACE_DIR" "$RACE_EXE" "$rounds"
        rep "$name" tsan "$i" env $TSAN_ENV "${RACE_EXE}_tsan" "$tsan_rounds"
    done
    rm -rf "$RACE_DIR"
    show "$name" native "$rounds" "" "" 1
    native=${MED[$name.native]}
    show "$name" concwatch "$rounds" "$native" "$(found "$name" concwatch 'concwatch: data-race')" 1
    show "$name" concwatch-norace "$rounds" "$native" "$NORACE_NOTE" 1
    show "$name" shim-only "$rounds" "$native" "$SHIM_ONLY_NOTE" 1
    scale=$(( rounds / tsan_rounds ))
    note="$(found "$name" tsan 'ThreadSanitizer: data race')"
    [ "$scale" != 1 ] && note="$note; measured at $tsan_rounds rounds, time x$scale"
    show "$name" tsan "$rounds" "$native" "$note" "$scale"
    if [ "$HAVE_VALGRIND" = 1 ]; then
        scale=$(( rounds / vg_rounds ))
        for ((i = 1; i <= VG_REPS; i++)); do
            rep "$name" helgrind "$i" timeout "$VG_TIMEOUT" valgrind -q --tool=helgrind "$RACE_EXE" "$vg_rounds"
        done
        show "$name" helgrind "$rounds" "$native" \
            "$(found "$name" helgrind 'Possible data race'); measured at $vg_rounds rounds, time x$scale" "$scale"
    fi
done
OK_RC=0

# ---- edge cost against graph size ----------------------------------------------
# edge_measure TOOL N: run edge_scaling EDGE_REPS times; prints the medians
# "new_ns known_ns rss_kb status".
edge_measure() {
    local tool=$1 n=$2 i out rss rc line news="" knowns="" rsses="" status=ok
    for ((i = 1; i <= EDGE_REPS; i++)); do
        local log=$LOGS/edge_scaling.$n.$tool.$i.log
        if [ "$tool" = native ]; then
            out=$(run_timed "$log" "$BIN/edge_scaling" "$n")
        else
            out=$(run_timed "$log" "$CONCWATCH" -q "$BIN/edge_scaling" "$n")
        fi
        read -r _ rss rc <<<"$out"
        line=$(grep -m1 '^locks=' "$log")
        if [ "$rc" != 0 ] || [ -z "$line" ]; then
            status="exit_$rc"
            break
        fi
        news="$news $(sed 's/.*new_ns=\([0-9.]*\).*/\1/' <<<"$line")"
        knowns="$knowns $(sed 's/.*known_ns=\([0-9.]*\).*/\1/' <<<"$line")"
        rsses="$rsses $rss"
    done
    awk -v a="$news" -v b="$knowns" -v c="$rsses" -v status="$status" '
        function med(s,   x, n, i, j, v) {
            n = split(s, x, " "); if (n == 0 || x[1] == "-") return "-"
            for (i = 2; i <= n; i++) { v = x[i]; for (j = i - 1; j >= 1 && x[j] + 0 > v + 0; j--) x[j + 1] = x[j]; x[j + 1] = v }
            return n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
        }
        BEGIN { print med(a), med(b), med(c), status }'
}

mib() { awk -v k="$1" 'BEGIN { if (k == "-" || k == "") print "-"; else printf "%.1f MiB", k / 1024 }'; }

echo
echo "## Cost of a new lock-order edge against the size of the graph"
echo
echo "edge_scaling N: N live heap mutexes in 4 levels, N nested pairs from a level to a deeper"
echo "one in random order (N new edges, most of which force a re-ranking), then the same"
echo "pairs again (known edges).  Wall ns per pair, median of $EDGE_REPS runs; cost per new"
echo "edge = concwatch's first pass minus native's."
echo
echo "| locks (= new edges) | native ns/pair | concwatch ns/pair, new edge | concwatch ns/pair, known edge | cost per new edge | peak RSS native | peak RSS concwatch |"
echo "|---|---|---|---|---|---|---|"
declare -A EDGE_COST EDGE_RSS_EXTRA
for n in $EDGE_SIZES; do
    read -r nat_new _ nat_rss nat_st <<<"$(edge_measure native "$n")"
    read -r cw_new cw_known cw_rss cw_st <<<"$(edge_measure concwatch "$n")"
    if [ "$nat_st" != ok ] || [ "$cw_st" != ok ]; then
        printf '| %s | FAILED (native %s, concwatch %s; log: %s/edge_scaling.%s.*.log) | | | | | |\n' \
            "$n" "${nat_st/_/ }" "${cw_st/_/ }" "$(basename "$LOGS")" "$n"
        continue
    fi
    EDGE_COST[$n]=$(awk -v a="$cw_new" -v b="$nat_new" 'BEGIN { printf "%.0f", a - b }')
    [ "$cw_rss" != - ] && [ "$nat_rss" != - ] && EDGE_RSS_EXTRA[$n]=$((cw_rss - nat_rss))
    printf '| %s | %.0f | %.0f | %.0f | %s ns | %s | %s |\n' "$n" "$nat_new" "$cw_new" "$cw_known" \
        "${EDGE_COST[$n]}" "$(mib "$nat_rss")" "$(mib "$cw_rss")"
done

if [ -x "$BUILD/bin/bench_lock_graph" ]; then
    echo
    echo "The analysis layer alone (tests/unit/bench_lock_graph: graph insert without the shim; 2 edges per node):"
    echo
    echo '```'
    "$BUILD/bin/bench_lock_graph" 2>&1
    echo '```'
fi

# ---- verdicts ------------------------------------------------------------------
# ok KEY...: all these measurements exist and succeeded.
ok() {
    local k
    for k; do [ "${STATUS[$k]:-missing}" = ok ] || return 1; done
}
# judge TEXT VALUE OP LIMIT: "met" or "NOT MET" for VALUE OP LIMIT (OP is <= or >= or <).
judge() {
    local text=$1 v=$2 op=$3 lim=$4
    if awk -v v="$v" -v l="$lim" -v op="$op" 'BEGIN { exit !(op == "<=" ? v <= l : op == ">=" ? v >= l : v < l) }'; then
        echo "verdict: $text: met"
    else
        echo "verdict: $text: NOT MET"
    fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# ---- issue 16: the targets, side by side --------------------------------------
# i16 LABEL VALUE_TEXT TARGET_TEXT VERDICT: a row of the table.
declare -a I16_ROWS I16_VERDICTS
i16() {
    I16_ROWS+=("| $1 | $2 | $3 | $4 |")
    I16_VERDICTS+=("verdict: issue 16: $1: $2 (target $3): $4")
}
# met VALUE OP LIMIT: "met" or "NOT MET".
met() {
    awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { exit !(op == "<=" ? v <= l : op == ">=" ? v >= l : v < l) }' &&
        echo met || echo "NOT MET"
}
i16_ratio() {   # LABEL WORKLOAD LIMIT [EXTRA_TEXT]
    local label=$1 w=$2 lim=$3 r
    if ok "$w.native" "$w.concwatch"; then
        r=$(ratio "${MED[$w.concwatch]}" "${MED[$w.native]}")
        i16 "$label" "${r}x native (median ${MED[$w.concwatch]} s vs ${MED[$w.native]} s; best runs $(ratio "${MIN[$w.concwatch]}" "${MIN[$w.native]}")x${4:-})" \
            "<= ${lim}x" "$(met "$r" "<=" "$lim")"
    else
        i16 "$label" "not measured (${STATUS[$w.native]:-missing}/${STATUS[$w.concwatch]:-missing})" "<= ${lim}x" "NOT MEASURED"
    fi
}
tsan_text() { ok "$1.tsan" "$1.native" && echo "; TSan build $(ratio "${MED[$1.tsan]}" "${MED[$1.native]}")x"; }
i16_ratio "W1 uncontended_pairs, 10M lock/unlock pairs" uncontended_pairs 1.3 "$(tsan_text uncontended_pairs)"
i16_ratio "W2 ordered_pairs, 4 threads" ordered_pairs 1.3 "$(tsan_text ordered_pairs)$(ok ordered_pairs.concwatch-norace && echo "; CONCWATCH_RACES=0: $(ratio "${MED[ordered_pairs.concwatch-norace]}" "${MED[ordered_pairs.native]}")x")"
if ok ordered_pairs.concwatch ordered_pairs.tsan; then
    r=$(ratio "${MED[ordered_pairs.tsan]}" "${MED[ordered_pairs.concwatch]}")
    i16 "W2 ordered_pairs, ahead of TSan" "concwatch ${r}x faster than the TSan build" ">= 10x" "$(met "$r" ">=" 10)"
fi
i16_ratio "W3 mutex_churn, 1M mutexes made and destroyed" mutex_churn 2 "$(tsan_text mutex_churn)"
if [ -n "${EDGE_RSS_EXTRA[1000000]:-}" ]; then
    sizes=""
    for n in $EDGE_SIZES; do
        [ -n "${EDGE_RSS_EXTRA[$n]:-}" ] && sizes="$sizes, $(awk -v k="${EDGE_RSS_EXTRA[$n]}" 'BEGIN { printf "%+.1f", k / 1024 }') MiB at $n"
    done
    i16 "1M mutexes alive at once with 1M edges (edge_scaling 1000000)" \
        "$(awk -v k="${EDGE_RSS_EXTRA[1000000]}" 'BEGIN { printf "%+.1f MiB (%.0f MB)", k / 1024, k * 1.024 / 1000 }') peak RSS over native (by size:${sizes#,})" \
        "< +300 MB" "$(met "${EDGE_RSS_EXTRA[1000000]}" "<" $((300 * 1000 * 1000 / 1024)))"
else
    i16 "1M mutexes alive at once with 1M edges (edge_scaling 1000000)" "not measured" "< +300 MB" "NOT MEASURED"
fi
i16_ratio "Python locked counter, 4 threads" py_locked_counter 1.2
if [ -n "${MC_OPS[native]:-}" ] && [ -n "${MC_OPS[concwatch]:-}" ]; then
    r=$(ratio "${MC_OPS[native]}" "${MC_OPS[concwatch]}")
    extra=""
    [ -n "${MC_OPS[concwatch-norace]:-}" ] && extra="; CONCWATCH_RACES=0: $(ratio "${MC_OPS[native]}" "${MC_OPS[concwatch-norace]}")x"
    [ -n "${MC_OPS[src-tsan]:-}" ] && [ -n "${MC_OPS[src]:-}" ] && extra="$extra; TSan build $(ratio "${MC_OPS[src]}" "${MC_OPS[src-tsan]}")x"
    [ -n "${MC_OPS[helgrind]:-}" ] && extra="$extra; helgrind $(ratio "${MC_OPS[native]}" "${MC_OPS[helgrind]}")x"
    i16 "memcached -t 4 under memcaslap, loopback" "${r}x slower than native (${MC_OPS[concwatch]} vs ${MC_OPS[native]} ops/s$extra)" \
        "<= 1.05x" "$(met "$r" "<=" 1.05)"
else
    i16 "memcached -t 4 under memcaslap, loopback" "not measured (see $LOGS/memcached.stderr)" "<= 1.05x" "NOT MEASURED"
fi

echo
echo "## Issue 16: the targets (measured in this run)"
echo
echo "| workload | measured | target | verdict |"
echo "|---|---|---|---|"
printf '%s\n' "${I16_ROWS[@]}"
echo
echo '```'
printf '%s\n' "${I16_VERDICTS[@]}"
echo '```'

echo
echo "## Verdicts (targets of issue 6 that issue 16 did not replace; measured in this run)"
echo
echo '```'
for spec in "zstd 1.3 W5"; do
    read -r w lim label <<<"$spec"
    if ok "$w.native" "$w.concwatch"; then
        r=$(ratio "${MED[$w.concwatch]}" "${MED[$w.native]}")
        judge "$label $w: concwatch ${r}x native (median ${MED[$w.concwatch]} s vs ${MED[$w.native]} s; best runs: $(ratio "${MIN[$w.concwatch]}" "${MIN[$w.native]}")x$(ok "$w.concwatch-norace" && echo "; with CONCWATCH_RACES=0: $(ratio "${MED[$w.concwatch-norace]}" "${MED[$w.native]}")x"); target <= ${lim}x)" "$r" "<=" "$lim"
    else
        echo "verdict: $label $w: concwatch vs native: NOT MEASURED (${STATUS[$w.native]:-missing}/${STATUS[$w.concwatch]:-missing}${REAL_SKIP:+; $REAL_SKIP})"
    fi
done
for spec in "uncontended_pairs W1" "ordered_pairs W2"; do
    read -r w label <<<"$spec"
    for tl in "tsan 10 TSan build" "helgrind 50 helgrind"; do
        read -r tool lim tname <<<"$tl"
        if ok "$w.concwatch" "$w.$tool"; then
            r=$(ratio "${MED[$w.$tool]}" "${MED[$w.concwatch]}")
            judge "$label $w: concwatch ${r}x faster than $tname (median ${MED[$w.concwatch]} s vs ${MED[$w.$tool]} s; best runs: $(ratio "${MIN[$w.$tool]}" "${MIN[$w.concwatch]}")x; target >= ${lim}x)" "$r" ">=" "$lim"
        else
            echo "verdict: $label $w: concwatch vs $tname: NOT MEASURED (${STATUS[$w.$tool]:-skipped})"
        fi
    done
done
if ok mutex_churn.native mutex_churn.concwatch && [ "${RSS_KB[mutex_churn.concwatch]}" != - ]; then
    extra=$(( RSS_KB[mutex_churn.concwatch] - RSS_KB[mutex_churn.native] ))
    judge "W3 mutex_churn: 1M mutexes made and destroyed: $(awk -v k="$extra" 'BEGIN { printf "%+.1f", k / 1024 }') MiB peak RSS over native ($(mib "${RSS_KB[mutex_churn.concwatch]}") vs $(mib "${RSS_KB[mutex_churn.native]}"); target < 300 MB extra)" \
        "$extra" "<" $((300 * 1000 * 1000 / 1024))
else
    echo "verdict: W3 mutex_churn memory: NOT MEASURED"
fi
if [ -n "${EDGE_COST[1000]:-}" ] && [ -n "${EDGE_COST[1000000]:-}" ]; then
    g=$(ratio "${EDGE_COST[1000000]}" "${EDGE_COST[1000]}")
    judge "edge cost: ${EDGE_COST[1000]} ns per new edge at 1k locks, ${EDGE_COST[100000]:-?} ns at 100k, ${EDGE_COST[1000000]} ns at 1M: ${g}x for a 1000x larger graph (target: does not grow with the graph; counted as met below 10x, i.e. 100x under linear: the rest is cache and TLB misses)" \
        "$g" "<" 10
else
    echo "verdict: edge cost against graph size: NOT MEASURED"
fi
echo '```'
echo
echo "## Verdicts (issue 5: the sampling must not slow a program more than 1.5x)"
echo
echo '```'
for w in "${RACE_NAMES[@]}"; do
    if ok "$w.shim-only" "$w.native"; then
        r=$(ratio "${MED[$w.shim-only]}" "${MED[$w.native]}")
        judge "$w: the program under the shim with sampling on runs ${r}x native (median ${MED[$w.shim-only]} s vs ${MED[$w.native]} s; best runs: $(ratio "${MIN[$w.shim-only]}" "${MIN[$w.native]}")x; target <= 1.5x)" "$r" "<=" 1.5
    else
        echo "verdict: $w: program slowdown under sampling: NOT MEASURED"
    fi
done
for w in "${RACE_NAMES[@]}" ordered_pairs many_threads zstd; do
    if ok "$w.concwatch" "$w.concwatch-norace" "$w.native"; then
        r=$(ratio "${MED[$w.concwatch]}" "${MED[$w.concwatch-norace]}")
        judge "$w: race sampling costs ${r}x end to end (concwatch ${MED[$w.concwatch]} s vs CONCWATCH_RACES=0 ${MED[$w.concwatch-norace]} s; native ${MED[$w.native]} s, concwatch $(ratio "${MED[$w.concwatch]}" "${MED[$w.native]}")x native; target <= 1.5x)" "$r" "<=" 1.5
    else
        echo "verdict: $w: race sampling cost: NOT MEASURED"
    fi
done
for w in "${RACE_NAMES[@]}"; do
    for tool in tsan helgrind; do
        if ok "$w.concwatch" "$w.$tool"; then
            echo "verdict: $w: concwatch $(ratio "${MED[$w.$tool]}" "${MED[$w.concwatch]}")x faster than $tool (median ${MED[$w.concwatch]} s vs ${MED[$w.$tool]} s): info"
        fi
    done
done
echo '```'
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- issue 10: both watchpoint backends side by side, and an idle server ----------
echo
"$SRC_DIR/bench/race_backends.sh" "$BUILD"
echo
"$SRC_DIR/bench/idle_cpu.sh" "$BUILD"

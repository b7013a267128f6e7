#!/usr/bin/env bash
# bench/profile.sh [BUILD_DIR]: where the shim's instructions go, per unit of work,
# for every workload of run.sh: callgrind counts natively and with the shim, each at
# two sizes so that start-up and exit cancel (Ir per unit = the difference of the
# two runs divided by the difference of the units), then the functions whose
# exclusive count per unit changed most (bench/cg_perfunc.py).  Prints markdown.
#
# Instruction counts are exact and do not depend on the machine's load: this is
# what to measure a change of the lock path with (wall time on a shared 2-core
# machine moves by tens of percent).  Under valgrind the threads run one at a
# time: contended waits and cache misses are not in these numbers.
#
# The shim runs with the environment the launcher gives the program (LD_PRELOAD,
# CONCWATCH_REPORT_DIR, CONCWATCH_HANG_AFTER) and CONCWATCH_RACES=0: the race
# sampler's ticks are time-based and would make the counts depend on how slow
# valgrind is (its cost is measured by run.sh).  memcached: the -O2 -g build from
# Debian's source package (run bench/memcached.sh once to build it), one
# memcaslap connection thread with 8 connections for N requests.
#
# Knobs: ONLY="workload ..." (a subset), TOP (functions listed per workload, 12),
# OUT (where the callgrind files go, default BUILD_DIR/bench/profile).
# About 10 minutes on 2 cores (memcached under callgrind is most of it).
set -u

SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$SRC_DIR/$BUILD ;; esac
BIN=$BUILD/bench
SHIM=$BUILD/bin/libconcwatch.so
OUT=${OUT:-$BIN/profile}
TOP=${TOP:-12}
MC=${CACHE_DIR:-$BIN/memcached}/bin/memcached
command -v valgrind >/dev/null || { echo "profile.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
[ -f "$SHIM" ] || { echo "profile.sh: $SHIM missing: build first" >&2; exit 2; }
mkdir -p "$OUT/reports"
PY=$(python3 -c 'import sys; print(sys.executable)')   # the interpreter itself, not a wrapper script
SHIM_ENV=(LD_PRELOAD="$SHIM" CONCWATCH_REPORT_DIR="$OUT/reports" CONCWATCH_HANG_AFTER=2 CONCWATCH_RACES=0)

# name | unit | size 1 | size 2 | units per size step | command (the size is appended)
WORKLOADS=(
    "uncontended_pairs|lock+unlock pair|100000|1100000|1|$BIN/uncontended_pairs"
    "ordered_pairs|nested pair (2 locks, 2 unlocks)|20000|220000|1|$BIN/ordered_pairs"
    "mutex_churn|iteration (2 inits, nested pair, 2 destroys)|20000|220000|0.5|$BIN/mutex_churn"
    "many_threads|thread (start, 3 nested locks 4 times, exit)|200|1000|1|$BIN/many_threads"
    "py_locked_counter|locked increment (with lock: counter += 1)|10000|35000|4|$PY $BIN/py_locked_counter.py"
    "memcached|request (90% get, 10% set)|30000|90000|1|memcached"
)

ir() { awk '/^summary:/ { print $2; exit }' "$1"; }

# mc_run OUTFILE N SHIM?: memcached under callgrind, N requests, then SIGTERM.
port=22400
mc_run() {
    local f=$1 n=$2 env=() p=$((port++))
    [ "$3" = shim ] && env=("${SHIM_ENV[@]}")
    local args=(-t 4 -p "$p" -U 0 -l 127.0.0.1 -c 1024)
    [ "$(id -u)" = 0 ] && args+=(-u root)
    # memcached sets RLIMIT_NOFILE to cur = max = maxconns; valgrind allows only
    # max == its own fd limit (the hard limit minus 12).
    env "${env[@]}" prlimit --nofile=1036:1036 valgrind --tool=callgrind --callgrind-out-file="$f" \
        "$MC" "${args[@]}" >"$f.log" 2>&1 &
    local pid=$! i
    for ((i = 0; i < 600; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.1; done
    memcaslap -s "127.0.0.1:$p" -T 1 -c 8 -x "$n" >"$f.load" 2>&1
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

echo "# Where the shim's instructions go (callgrind, $(date -u '+%Y-%m-%d'))"
echo
echo "build: $BUILD; $(valgrind --version); Python: $PY"
for spec in "${WORKLOADS[@]}"; do
    IFS='|' read -r name unit n1 n2 per cmd <<<"$spec"
    [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]] && continue
    if [ "$name" = memcached ] && { [ ! -x "$MC" ] || ! command -v memcaslap >/dev/null; }; then
        echo; echo "## memcached: skipped ($MC or memcaslap missing: run bench/memcached.sh first)"; continue
    fi
    for mode in native shim; do
        for n in $n1 $n2; do
            f=$OUT/cg.$name.$mode.$n
            if [ "$name" = memcached ]; then
                mc_run "$f" "$n" "$mode"
            elif [ $mode = native ]; then
                PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file="$f" $cmd "$n" >/dev/null 2>"$f.log"
            else
                env "${SHIM_ENV[@]}" PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file="$f" \
                    $cmd "$n" >/dev/null 2>"$f.log"
            fi
        done
    done
    units=$(awk -v a="$n1" -v b="$n2" -v p="$per" 'BEGIN { printf "%g", (b - a) * p }')
    echo
    echo "## $name: per $unit"
    echo
    python3 "$SRC_DIR/bench/cg_perfunc.py" "$OUT/cg.$name.native.$n1" "$OUT/cg.$name.native.$n2" \
        "$OUT/cg.$name.shim.$n1" "$OUT/cg.$name.shim.$n2" "$units" "$TOP" ||
        echo "(callgrind_annotate failed: see $OUT/cg.$name.*.log)"
done

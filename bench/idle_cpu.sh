#!/usr/bin/env bash
# bench/idle_cpu.sh [BUILD_DIR]: what an idle server costs under concwatch.  Debian's
# memcached -t 4 (4 worker threads, waiting for connections that never come) runs natively
# and under concwatch with CONCWATCH_RACE_BACKEND=hardware and =software; after SETTLE
# seconds (default 3: start-up, the sampler's first ticks), the CPU time used by the program
# and by the launcher over WINDOW seconds (default 10) is read from /proc/PID/stat, printed
# as a percentage of one core.  The hardware row is skipped, with the reason, where the
# self-test says debug registers do not fire.  Needs memcached (apt-get install memcached).
set -u
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$SRC_DIR/$BUILD ;; esac
CONCWATCH=$BUILD/bin/concwatch
SETTLE=${SETTLE:-3}
WINDOW=${WINDOW:-10}
PORT=${PORT:-21299}
MEMCACHED=$(command -v memcached) || { echo "idle_cpu.sh: skipped: memcached not installed (apt-get install memcached)"; exit 0; }
LOGS=$BUILD/bench/logs/idle_cpu
mkdir -p "$LOGS"
HZ=$(getconf CLK_TCK)

# ticks PID: utime + stime of the process (all its threads), in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# measure NAME CMD...: start CMD, settle, then CPU% of a core of the program (and launcher).
measure() {
    local name=$1 top prog p0 p1 l0 l1 i; shift
    "$@" >"$LOGS/$name.log" 2>&1 &
    top=$!
    sleep "$SETTLE"
    prog=$top
    if [ "$name" != native ]; then
        # The launcher's child is the program.
        for ((i = 0; i < 20; i++)); do
            prog=$(pgrep -P "$top" | head -n 1) && [ -n "$prog" ] && break
            sleep 0.1
        done
    fi
    p0=$(ticks "$prog"); l0=$(ticks "$top")
    sleep "$WINDOW"
    p1=$(ticks "$prog"); l1=$(ticks "$top")
    kill -TERM "$prog" 2>/dev/null
    wait "$top" 2>/dev/null
    awk -v p=$((p1 - p0)) -v l=$((l1 - l0)) -v hz="$HZ" -v w="$WINDOW" -v n="$name" -v same=$([ "$prog" = "$top" ] && echo 1 || echo 0) 'BEGIN {
        printf "| %s | %.2f%% | %s |\n", n, 100 * p / hz / w, same ? "-" : sprintf("%.2f%%", 100 * l / hz / w) }'
}

echo "## Idle CPU: memcached -t 4, no client, ${WINDOW} s after ${SETTLE} s of start-up"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $(uname -sr); $("$MEMCACHED" -V 2>/dev/null); clock tick $((1000 / HZ)) ms"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | program CPU (% of a core) | launcher CPU |"
echo "|---|---|---|"
args=(-t 4 -p "$PORT" -U 0 -l 127.0.0.1 -u "$(id -un)")
measure native "$MEMCACHED" "${args[@]}"
for b in hardware software; do
    rm -f "$LOGS/$b.json"
    measure "concwatch $b" env CONCWATCH_RACE_BACKEND=$b "$CONCWATCH" -q --json "$LOGS/$b.json" "$MEMCACHED" "${args[@]}"
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])).get("races", {}); print("  (%s: races looked for by: %s%s)" % (sys.argv[2], r.get("method"), "; " + r["detail"] if r.get("detail") else ""))' "$LOGS/$b.json" "$b" 2>/dev/null ||
        echo "  ($b: no JSON report; see $LOGS/concwatch $b.log)"
done
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

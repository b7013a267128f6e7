#!/usr/bin/env bash
# bench/idle_cpu.sh [BUILD_DIR]: what an idle server costs under concwatch.  Debian's
# memcached -t 4 (4 worker threads, waiting for connections that never come) runs natively
# and under concwatch with CONCWATCH_RACE_BACKEND=hardware and =software; after SETTLE
# seconds (default 3: start-up, the sampler's first ticks), the CPU time used by the program
# and by the launcher over WINDOW seconds (default 10) is read from /proc/PID/task/*/schedstat
# (nanoseconds, live threads), printed as a percentage of one core, with the threads that
# ran.  Under each concwatch row, the report's "races" line says which way races were looked
# for (where the self-test says debug registers do not fire, the hardware run says "off"
# and why).  Needs memcached (apt-get install memcached).
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

# cpu_ns PID: CPU time of the process's live threads, in ns (schedstat: exact, where
# /proc/PID/stat counts 10 ms ticks).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'; }
# per_thread PID: "name=ns" for each live thread.
per_thread() {
    local t
    for t in /proc/"$1"/task/*; do
        printf '%s=%s ' "$(tr ' ' _ <"$t/comm" 2>/dev/null)" "$(awk '{ print $1 }' "$t/schedstat" 2>/dev/null)"
    done
}

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
    local t0 t1 b0 b1
    p0=$(cpu_ns "$prog"); l0=$(cpu_ns "$top"); b0=$(per_thread "$prog"); t0=$(date +%s%N)
    sleep "$WINDOW"
    p1=$(cpu_ns "$prog"); l1=$(cpu_ns "$top"); b1=$(per_thread "$prog"); t1=$(date +%s%N)
    kill -TERM "$prog" 2>/dev/null
    wait "$top" 2>/dev/null
    # Per thread: the busiest ones (name: us over the window).
    local busiest
    busiest=$(awk -v a="$b0" -v b="$b1" 'BEGIN {
        n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); s0[i] = kv[2] }
        m = split(b, y, " "); for (i = 1; i <= m; i++) { split(y[i], kv, "="); d = kv[2] - (i in s0 ? s0[i] : 0); if (d > 0) out = out sprintf("%s %d us, ", kv[1], d / 1000) }
        sub(/, $/, "", out); print out }')
    awk -v p=$((p1 - p0)) -v l=$((l1 - l0)) -v w=$((t1 - t0)) -v n="$name" -v same=$([ "$prog" = "$top" ] && echo 1 || echo 0) -v busy="$busiest" 'BEGIN {
        printf "| %s | %.3f%% | %s | %s |\n", n, 100 * p / w, same ? "-" : sprintf("%.3f%%", 100 * l / w), busy }'
}

echo "## Idle CPU: memcached -t 4, no client, ${WINDOW} s after ${SETTLE} s of start-up"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $(uname -sr); $("$MEMCACHED" -V 2>/dev/null); CPU from /proc/PID/task/*/schedstat"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | program CPU (% of a core) | launcher CPU | program's threads that ran (CPU over the window) |"
echo "|---|---|---|---|"
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

#!/usr/bin/env bash
# bench/memcached.sh [BUILD_DIR]: a real server under load.
#
# memcached -t 4 on a loopback port, driven by memcaslap (libmemcached-tools; its
# --help calls it "memaslap") for SECS seconds; throughput (ops/s, memcaslap's
# TPS) natively, under concwatch (and with CONCWATCH_RACES=0), as a
# -fsanitize=thread build and under helgrind (a shorter load: VG_SECS), plus the
# server's CPU time per op and what each tool reported.  Prints a markdown table.
# Called by run.sh (which puts the ratios in its verdicts); runs alone too.
#
# Binaries:
#   debian      /usr/bin/memcached (package memcached; stripped, no DWARF)
#   src         the same version built from Debian's source package with -O2 -g
#   src-tsan    the same source with -O2 -g -fsanitize=thread
# Built once into CACHE_DIR (default BUILD_DIR/bench/memcached) and reused:
# delete CACHE_DIR/bin to rebuild.  Idempotent: apt installs only what is missing.
# The TSan build is compared with `src` (same code, same flags but the sanitizer).
#
# Knobs: REPS (3), SECS (8), VG_SECS (2), MC_THREADS (4), LOAD_THREADS (2),
# LOAD_CONC (32), PORT_BASE (21300), TOOLS (space-separated subset of
# "native concwatch concwatch-norace src src-tsan helgrind concwatch-src"),
# CACHE_DIR, RESULTS (a file: one line "TOOL MEDIAN MIN MAX CPU_US_PER_OP" is
# appended per tool, for run.sh).  Loopback only; every run is bounded in time.
set -u

SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$SRC_DIR/$BUILD ;; esac
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "memcached.sh: no build dir $BUILD" >&2; exit 2; }
CACHE=${CACHE_DIR:-$BUILD/bench/memcached}
mkdir -p "$CACHE" && CACHE=$(cd "$CACHE" && pwd)
CONCWATCH=$BUILD/bin/concwatch
[ -x "$CONCWATCH" ] || { echo "memcached.sh: $CONCWATCH missing: build first" >&2; exit 2; }

REPS=${REPS:-3}
SECS=${SECS:-8}
VG_SECS=${VG_SECS:-2}
MC_THREADS=${MC_THREADS:-4}
LOAD_THREADS=${LOAD_THREADS:-2}
LOAD_CONC=${LOAD_CONC:-32}
PORT=${PORT_BASE:-21300}
TOOLS=${TOOLS:-"native concwatch concwatch-norace src src-tsan helgrind"}
RESULTS=${RESULTS:-}
TSAN_OPTS="detect_deadlocks=1 report_signal_unsafe=0"
LOGS=$CACHE/logs/$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$LOGS" "$CACHE/bin"
FETCH_LOG=$CACHE/fetch.log

log() { echo "memcached.sh: $*" >&2; }

# ---- prerequisites ---------------------------------------------------------------
need_pkgs=()
command -v memcached >/dev/null || need_pkgs+=(memcached)
command -v memcaslap >/dev/null || command -v memaslap >/dev/null || need_pkgs+=(libmemcached-tools)
[[ " $TOOLS " == *" helgrind "* ]] && ! command -v valgrind >/dev/null && need_pkgs+=(valgrind)
command -v dpkg-source >/dev/null || need_pkgs+=(dpkg-dev)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        log "installing ${need_pkgs[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >>"$FETCH_LOG" 2>&1 ||
            { apt-get update -qq >>"$FETCH_LOG" 2>&1 &&
              DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >>"$FETCH_LOG" 2>&1; }
    else
        log "missing packages (not root, cannot install): ${need_pkgs[*]}"
    fi
fi
LOADGEN=$(command -v memcaslap || command -v memaslap) || { log "no memcaslap/memaslap"; exit 2; }
DEB_MC=/usr/bin/memcached
[ -x "$DEB_MC" ] || { log "no $DEB_MC"; exit 2; }
RUN_AS=(); [ "$(id -u)" = 0 ] && RUN_AS=(-u root)   # memcached refuses to run as root otherwise

# ---- memcached from Debian's source package (same scheme as run.sh's zstd) ---------
. "$SRC_DIR/bench/deb_src.sh"   # add_deb_src

SRC_SKIP=""
setup_src() {
    [ -x "$CACHE/bin/memcached" ] && [ -x "$CACHE/bin/memcached_tsan" ] && return
    log "fetching and building memcached from its Debian source package (once, ~2 min)"
    rm -rf "$CACHE/src" && mkdir -p "$CACHE/src"
    if ! (cd "$CACHE/src" && apt-get source --download-only memcached) >>"$FETCH_LOG" 2>&1; then
        if ! add_deb_src "$FETCH_LOG" || ! (cd "$CACHE/src" && apt-get source --download-only memcached) >>"$FETCH_LOG" 2>&1; then
            SRC_SKIP="Debian source of memcached unavailable (see $FETCH_LOG)"; return
        fi
    fi
    # Build dependencies (libevent-dev, libsasl2-dev, libssl-dev, ...).
    if [ "$(id -u)" = 0 ] && ! dpkg -s libevent-dev >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq memcached >>"$FETCH_LOG" 2>&1
    fi
    local dsc variant flags
    dsc=$(ls "$CACHE"/src/*.dsc | head -n 1)
    for variant in native tsan; do
        flags="-O2 -g"; [ $variant = tsan ] && flags="-O2 -g -fsanitize=thread"
        # Debian's configure flags (debian/rules): --enable-sasl --enable-tls.
        if ! { dpkg-source -x "$dsc" "$CACHE/src/$variant" &&
               (cd "$CACHE/src/$variant" && ./configure --enable-sasl --enable-tls CFLAGS="$flags" \
                    LDFLAGS="${flags#-O2 -g}" && make -j"$(nproc)" memcached); } >>"$FETCH_LOG" 2>&1; then
            SRC_SKIP="building memcached ($variant) failed (see $FETCH_LOG)"; return
        fi
    done
    cp "$CACHE/src/native/memcached" "$CACHE/bin/memcached" &&
        cp "$CACHE/src/tsan/memcached" "$CACHE/bin/memcached_tsan" &&
        basename "$dsc" .dsc >"$CACHE/bin/source"
}
if [[ " $TOOLS " == *" src"* || " $TOOLS " == *"-src "* ]]; then setup_src; fi
[ -n "$SRC_SKIP" ] && log "source build skipped: $SRC_SKIP"

# ---- one run --------------------------------------------------------------------
declare -A OPS CPU NOTE FIND

proc_cpu_s() {   # utime+stime of pid and all its threads, in seconds
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/$1/stat" 2>/dev/null
}

wait_port() {   # wait until the server answers on 127.0.0.1:$1 (limit $2 s)
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    return 1
}

# run_one TOOL I: start the server under TOOL, load it, stop it.
run_one() {
    local tool=$1 i=$2 secs=$SECS port=$((PORT++)) exe=$DEB_MC pfx=() json=""
    local log=$LOGS/$tool.$i.log
    local args=(-t "$MC_THREADS" -p "$port" -U 0 -l 127.0.0.1 "${RUN_AS[@]}")
    case $tool in
        native) ;;
        concwatch) json=$log.json; pfx=("$CONCWATCH" -q --json "$json") ;;
        concwatch-norace) json=$log.json; pfx=(env CONCWATCH_RACES=0 "$CONCWATCH" -q --json "$json") ;;
        src) exe=$CACHE/bin/memcached ;;
        concwatch-src) exe=$CACHE/bin/memcached; json=$log.json; pfx=("$CONCWATCH" -q --json "$json") ;;
        src-tsan) exe=$CACHE/bin/memcached_tsan; pfx=(env "TSAN_OPTIONS=$TSAN_OPTS") ;;
        helgrind) secs=$VG_SECS
            # memcached sets RLIMIT_NOFILE to cur = max = maxconns; valgrind allows
            # only max == its own fd limit, which is the hard limit minus 12.
            pfx=(prlimit --nofile=1036:1036 valgrind --tool=helgrind --error-limit=no)
            args+=(-c 1024) ;;
    esac
    case $tool in src*|concwatch-src) [ -n "$SRC_SKIP" ] && return ;; esac
    "${pfx[@]}" "$exe" "${args[@]}" >"$log" 2>&1 &
    local spid=$!
    if ! wait_port "$port" 60; then
        NOTE[$tool]+=" no-start"; kill -TERM "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; return
    fi
    # The process doing the work: under the concwatch launcher it is its child.
    local wpid=$spid
    case $tool in concwatch*) sleep 0.2; wpid=$(pgrep -P "$spid" | head -n 1) ;; esac
    # Under `env` the exec replaces env: same pid.
    local cpu0 cpu1
    cpu0=$(proc_cpu_s "$wpid")
    timeout $((secs + 30)) "$LOADGEN" -s "127.0.0.1:$port" -T "$LOAD_THREADS" -c "$LOAD_CONC" -t "${secs}s" \
        >"$log.load" 2>&1
    cpu1=$(proc_cpu_s "$wpid")
    kill -TERM "$spid" 2>/dev/null
    # Bounded: helgrind/TSan write their report at exit.
    local k; for ((k = 0; k < 300; k++)); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
    local rc=$?
    local tps ops
    tps=$(awk '/^Run time:/ { for (i = 1; i <= NF; i++) if ($i == "TPS:") print $(i + 1) }' "$log.load" | tail -n 1)
    ops=$(awk '/^Run time:/ { for (i = 1; i <= NF; i++) if ($i == "Ops:") print $(i + 1) }' "$log.load" | tail -n 1)
    [ -n "$tps" ] || { NOTE[$tool]+=" load-failed"; return; }
    OPS[$tool]+=" $tps"
    [ -n "$cpu0" ] && [ -n "$cpu1" ] && [ -n "$ops" ] && [ "$ops" -gt 0 ] &&
        CPU[$tool]+=" $(awk -v a="$cpu0" -v b="$cpu1" -v n="$ops" 'BEGIN { printf "%.2f", (b - a) * 1e6 / n }')"
    local f=""
    case $tool in
        concwatch*) [ -s "$json" ] && f="$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
k = sorted({x.get("kind", "?") for x in d.get("findings", [])})
print("%d findings%s" % (len(d.get("findings", [])), " (" + ",".join(k) + ")" if k else ""))' "$json" 2>/dev/null)"
            [ -n "$f" ] || f="? (rc $rc)" ;;
        src-tsan) f="$(grep -c '^WARNING: ThreadSanitizer' "$log") warnings ($(grep -o '^WARNING: ThreadSanitizer: [a-z -]*' "$log" | sort | uniq -c | awk '{ $1 = $1 "x"; print }' | sed 's/WARNING: ThreadSanitizer: //' | paste -sd, -))" ;;
        helgrind) f="$(grep -o 'ERROR SUMMARY: [0-9]* errors' "$log" | awk '{ print $3 }') errors ($(grep -c 'Possible data race' "$log") data-race reports)" ;;
    esac
    [ -n "$f" ] && FIND[$tool]+="run$i: $f; "
}

# ---- runs, interleaved ------------------------------------------------------------
log "build $BUILD, cache $CACHE, logs $LOGS"
log "load: $LOADGEN -T $LOAD_THREADS -c $LOAD_CONC for $SECS s (helgrind $VG_SECS s), memcached -t $MC_THREADS"
for ((i = 1; i <= REPS; i++)); do
    for tool in $TOOLS; do
        [ "$tool" = helgrind ] && continue
        run_one "$tool" "$i"
    done
done
[[ " $TOOLS " == *" helgrind "* ]] && command -v valgrind >/dev/null && run_one helgrind 1

# ---- table -------------------------------------------------------------------------
median() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print ""; exit }
    print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
spread() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{ a[NR] = $1 } END { if (NR) printf "%s-%s", a[1], a[NR] }'; }

echo "# memcached under load, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server: memcached $($DEB_MC -V | awk '{ print $2 }') -t $MC_THREADS on 127.0.0.1; load: $(basename "$LOADGEN") -T $LOAD_THREADS -c $LOAD_CONC, ${SECS} s per run (helgrind ${VG_SECS} s), same 2 cores as the server"
[ -f "$CACHE/bin/source" ] && echo "src build: Debian source package $(cat "$CACHE/bin/source"), ./configure --enable-sasl --enable-tls, -O2 -g (tsan: + -fsanitize=thread)"
echo "repetitions: $REPS (helgrind 1); logs: $LOGS"
echo
echo "| tool | binary | ops/s (median) | min-max | slowdown | server CPU us/op | findings / reports |"
echo "|---|---|---|---|---|---|---|"
nat_deb=$(echo "${OPS[native]:-}" | median)
nat_src=$(echo "${OPS[src]:-}" | median)
for tool in $TOOLS; do
    bin=debian; base=$nat_deb
    case $tool in src|concwatch-src|src-tsan) bin=src; base=${nat_src:-$nat_deb} ;; esac
    [ "$tool" = src-tsan ] && bin="src, -fsanitize=thread"
    m=$(echo "${OPS[$tool]:-}" | median)
    if [ -z "$m" ]; then
        echo "| $tool | $bin | FAILED${NOTE[$tool]:-} | | | | |"; continue
    fi
    ratio=$(awk -v m="$m" -v n="$base" 'BEGIN { if (n > 0) printf "%.2fx", n / m; else print "-" }')
    cpu=$(echo "${CPU[$tool]:-}" | median)
    echo "| $tool | $bin | $m | $(echo "${OPS[$tool]}" | spread) | $ratio | ${cpu:--} | ${FIND[$tool]:-}${NOTE[$tool]:-} |"
    [ -n "$RESULTS" ] && echo "$tool $m $(echo "${OPS[$tool]}" | spread | tr - ' ') ${cpu:--}" >>"$RESULTS"
done
echo
echo "slowdown: native ops/s divided by the tool's, for the same binary (debian rows against 'native', src rows against 'src', or 'native' when 'src' was not run)."

#!/bin/sh
# run_fuzz.sh FUZZ_BUILD_DIR TARGET SEED_DIR SECONDS
#
# Runs one libFuzzer target for a bounded time (CTest: tests/fuzz.cmake).
# Every seed is run first (inputs that once crashed are kept there as
# regression seeds), then the fuzzer mutates for SECONDS, or for
# $CONCWATCH_FUZZ_SECONDS when set (a longer budget by hand).  New inputs go
# to FUZZ_BUILD_DIR/work/TARGET, never into the source tree.  A crash, leak,
# timeout or out-of-memory fails the test (libFuzzer exits non-zero); its
# input is kept as FUZZ_BUILD_DIR/work/TARGET-artifacts/crash-*.  Exits 77
# (skipped) with the reason when the fuzzers could not be built here.
build=$1 target=$2 seeds=$3 seconds=${CONCWATCH_FUZZ_SECONDS:-$4}
if [ -f "$build/skip-reason" ]; then
    echo "SKIP: $(cat "$build/skip-reason")"
    exit 77
fi
if [ ! -x "$build/bin/$target" ]; then
    echo "SKIP: $build/bin/$target was not built (no clang with libFuzzer was found when configuring)"
    exit 77
fi
work=$build/work/$target
mkdir -p "$work" "$work-artifacts"
log=$work-artifacts/last.log
# stdout closed: the targets render reports to /dev/null, but the option
# parser prints usage errors on stderr, which is kept for crash reports.
"$build/bin/$target" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -close_fd_mask=1 \
    -print_final_stats=1 -artifact_prefix="$work-artifacts/" "$work" "$seeds" >"$log" 2>&1
status=$?
grep -E "^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ +DONE)" "$log"
if [ $status -ne 0 ]; then
    echo "FAIL: $target exited $status; the end of its log ($log):"
    tail -n 80 "$log"
    exit 1
fi
echo "PASS: $target ran ${seconds} s with no crash"

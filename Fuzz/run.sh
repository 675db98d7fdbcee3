#!/bin/bash
# Fuzz/run.sh SECONDS BIN_DIR TARGET...: runs each libFuzzer target for SECONDS from its committed
# seeds (Fuzz/Corpus/TARGET) plus what earlier runs found (out/fuzz/TARGET/corpus), then prints
# one line per target: executions, new corpus entries, and what it found. Exits 1 if any target
# crashed, leaked or timed out; the input that did it is under out/fuzz/TARGET/.
set -u
seconds=$1 bin=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/out/fuzz"
summary="$root/out/fuzz/summary.txt"
: >"$summary"
failed=0
# UBSan reports stop the run like ASan's; Swift's runtime keeps some allocations for the
# process's lifetime (metadata caches), which is not a leak per input.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$root/sanitizers/ubsan.supp"
# libFuzzer, not the Swift runtime's backtracer, must catch a crash: it saves the input.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}"
for target in "$@"; do
  work="$root/out/fuzz/$target"
  mkdir -p "$work/corpus"
  log="$work/log.txt"
  "$bin/$target" "$work/corpus" "$root/Fuzz/Corpus/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 -artifact_prefix="$work/" >"$log" 2>&1
  status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  found="nothing"
  if [ "$status" -ne 0 ]; then
    failed=1
    found="FAILED (exit $status): $(grep -m 1 -E 'ERROR: |SUMMARY: |Fatal error|runtime error' "$log" | cut -c 1-160); see $log"
  fi
  line=$(printf '%-18s %12s executions  %5s corpus files  %s' "$target" "${runs:-?}" \
    "$(ls "$work/corpus" | wc -l)" "$found")
  echo "$line" | tee -a "$summary"
done
exit $failed

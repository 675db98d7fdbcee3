#!/usr/bin/env bash
# sanitizers/tsan-tests.sh BIN_DIR [FILTER]: `make sanitize`'s ThreadSanitizer part, after its
# build (BIN_DIR holds the TSan-built WickPackageTests.xctest and wick). Runs the suite in the
# groups of Tests/groups.sh (AttackerTests, the CLI suites in two processes,
# ReoptimizeScheduleTests, the async suites, the synchronous exchange clients, the rest), one
# after another: side by side, the TSan processes' timing tests would starve each other on two
# cores. The CLI suites start the TSan-built `wick`, so its threads are checked too. With FILTER (a
# --filter regex) it runs only that, in one process.
#
# Every process, the test binary and each `wick` it starts, writes its reports to
# out/sanitize/tsan.PID (TSan's log_path): a report in a child process counts even when the test
# that started it passed. Exits 1 if a group failed or any report was written; prints the reports
# and how often a suppression matched.
set -uo pipefail
bin="${1:?usage: sanitizers/tsan-tests.sh BIN_DIR [FILTER]}/WickPackageTests.xctest"
filter="${2:-}"
out=out/sanitize
mkdir -p "$out"
rm -f "$out"/tsan.*
export TSAN_OPTIONS="second_deadlock_stack=1 print_suppressions=1 suppressions=$PWD/sanitizers/tsan.supp log_path=$PWD/$out/tsan ${TSAN_OPTIONS:-}"
# The Lua tests' hard deadline for a state stuck in C code stretches by this factor (TSan runs
# the interpreter 5 to 20 times slower); the budgets the tests check do not (TestSupport.swift).
export WICK_TEST_TIME_SCALE="${WICK_TEST_TIME_SCALE:-20}"
run() { NO_COLOR=1 "$bin" --testing-library swift-testing "$@"; }

declare -a groups
declare -A status args
if [ -n "$filter" ]; then
  groups=(filter)
  args[filter]="--filter $filter"
else
  # The groups of Tests/groups.sh (see why there) but the browser test, from the same file.
  # shellcheck source=Tests/test-groups.sh
  source "$(dirname "$0")/../Tests/test-groups.sh"
  groups=(attacker cli-runs cli reoptimize async exchanges rest)
  for group in "${groups[@]}"; do args[$group]=${test_group_args[$group]}; done
fi
for group in "${groups[@]}"; do
  start=$SECONDS
  echo "sanitize: $group under ThreadSanitizer ($out/$group.log)"
  # shellcheck disable=SC2086 # args are words on purpose
  run ${args[$group]} > "$out/$group.log" 2>&1
  status[$group]=$?
  echo "sanitize: $group exit ${status[$group]} after $((SECONDS - start)) s:" \
    "$(grep -E '^. Test run with' "$out/$group.log" | tail -n 1)"
done

failed=0
for group in "${groups[@]}"; do
  [ "${status[$group]}" = 0 ] || { echo "sanitize: $group FAILED, see $out/$group.log"; failed=1; }
done
reports=$(cat "$out"/tsan.* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer\|^==[0-9]*==ERROR: ThreadSanitizer')
# With print_suppressions a process that matched a suppression says so in its file, which is not
# a report: those lines are summed, the files with a report printed whole.
matched=$(cat "$out"/tsan.* 2>/dev/null | awk '/^ *[0-9]+ race:/ { n += $1 } END { print n + 0 }')
if [ "$reports" -gt 0 ]; then
  grep -l 'ThreadSanitizer: data race\|WARNING: ThreadSanitizer\|ERROR: ThreadSanitizer' "$out"/tsan.* |
    xargs cat
  echo "sanitize: ThreadSanitizer wrote $reports report(s): $(ls "$out"/tsan.* | tr '\n' ' ')"
  failed=1
else
  echo "sanitize: ThreadSanitizer: no report"
fi
echo "sanitize: suppressions matched $matched time(s) (sanitizers/tsan.supp says why)"
exit "$failed"

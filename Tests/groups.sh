#!/usr/bin/env bash
# Tests/groups.sh BIN_DIR: `make test`'s test run, after its build (BIN_DIR holds
# WickPackageTests.xctest and wick). Each group is its own process of the test binary, started
# the way `swift test` starts it; run by hand, `swift test` would wait for the other groups'
# lock on .build.
#
# 1. AttackerTests on their own: they time slow clients against the dashboard's timeouts, and
#    beside the whole suite the tests that block the two-thread cooperative pool starved the
#    server's handlers for a minute (seen: 75 s instead of 2 s).
# 2. Then seven processes side by side, because they mostly wait (one after another on a loaded
#    machine: 100 s of CPU in 430 s of wall):
#    - the dashboard's browser test (headless chromium against a real `wick run --paper`);
#    - the CLI suites, in two processes, which drive the real binary and poll it with blocking
#      waits that hold both threads of a 2-core machine's cooperative pool for minutes;
#    - the async suites (in-process paper and live runners, WebSocket clients and servers, the
#      dashboard, notifications): they need that pool for their tasks, so no test that blocks a
#      thread for long runs beside them. Seen otherwise: the serialized Bybit venue suites,
#      synchronous and tens of seconds each, held both threads at once and every async test in
#      the process stalled for a minute (one paper run then missed its 120 s deadline);
#    - the synchronous exchange clients (those Bybit suites, Binance, the candle fetchers), which
#      sleep through retries and timeouts;
#    - the rest, synchronous and mostly CPU-bound;
#    - ReoptimizeScheduleTests (in-process runners too, but in the CLI target).
# Each group's output goes to out/test/GROUP.log and is printed whole when the group ends; the
# last lines are one verdict per group. Exits 1 if any group failed.
set -uo pipefail
bin="${1:?usage: Tests/groups.sh BIN_DIR}/WickPackageTests.xctest"
logs=out/test
mkdir -p "$logs"
run() { NO_COLOR=1 "$bin" --testing-library swift-testing "$@"; }
verdict() { grep -E '^. Test run with' "$logs/$1.log" | tail -n 1; }

# shellcheck source=Tests/test-groups.sh
source "$(dirname "$0")/test-groups.sh"
# shellcheck disable=SC2086 # the groups' arguments are words on purpose

echo "test: AttackerTests on their own (out/test/attacker.log)"
run ${test_group_args[attacker]} 2>&1 | tee "$logs/attacker.log"
declare -A status=([attacker]=${PIPESTATUS[0]})

echo "test: the browser test, the CLI suites, the async suites, the exchange clients, the rest and" \
  "ReoptimizeScheduleTests side by side (out/test/{browser,cli,cli-runs,async,exchanges,rest,reoptimize}.log)"
declare -A pid
for group in browser cli cli-runs async exchanges rest reoptimize; do
  if [ "$group" = browser ]; then
    WICK_BROWSER_TEST=1 run ${test_group_args[$group]} > "$logs/$group.log" 2>&1 &
  else
    run ${test_group_args[$group]} > "$logs/$group.log" 2>&1 &
  fi
  pid[$group]=$!
done
for group in browser cli cli-runs async exchanges rest reoptimize; do
  wait "${pid[$group]}"
  status[$group]=$?
  echo "---- $group ($logs/$group.log)"
  cat "$logs/$group.log"
done

failed=0
echo "---- make test: one line per group"
for group in attacker browser cli cli-runs async exchanges rest reoptimize; do
  line=$(verdict "$group")
  if [ "${status[$group]}" = 0 ]; then
    echo "$group: ${line:-exit 0}"
  else
    echo "$group: FAILED (exit ${status[$group]}) ${line}"
    failed=1
  fi
done
exit "$failed"

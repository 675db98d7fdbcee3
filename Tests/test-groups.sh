# The test groups of `make test` (Tests/groups.sh, which says why these) and `make sanitize`
# (sanitizers/tsan-tests.sh), as --filter/--skip arguments of the test binary: sourced by both,
# so that they cannot drift apart. The regexes hold no spaces: each value splits into its words.

# The five longest `wick run` suites of the CLI target, in a process of their own.
cli_runs='WickCLITests\.(CleanEndCommandTests|BinanceLimitRunCommandTests|LiveRunCommandTests|RunCommandTests|MultiRunCommandTests)/'
# The one async test of WickBinanceTests (its user stream): with the async suites.
binance_async='WickBinanceTests\.BinanceLiveTests/theUserStream'
# The synchronous exchange clients against their loopback mocks, which sleep through retries,
# timeouts and backoffs. A new synchronous suite that waits for long belongs here (or in rest):
# in WickLiveTests, the async group, it would starve the async tests of the cooperative pool.
exchanges='WickLiveTests\.Bybit|WickBinanceTests|WickDataTests\.(FeedsTests|MetricFetchTests|PagingTests|ServerClockTests|ServerClockLatencyTests)/'

test_groups=(attacker browser cli-runs cli async exchanges rest reoptimize)
declare -A test_group_args=(
  [attacker]="--filter AttackerTests"
  [browser]="--filter DashboardBrowserTests"
  [cli-runs]="--filter $cli_runs"
  [cli]="--filter WickCLITests --skip $cli_runs --skip ReoptimizeScheduleTests"
  [async]="--filter WickLiveTests --filter WickNetTests --filter WickNotifyTests
    --filter WickServerTests --filter $binance_async --skip AttackerTests --skip WickLiveTests\.Bybit"
  [exchanges]="--filter $exchanges --skip $binance_async"
  [rest]="--skip AttackerTests --skip WickCLITests --skip WickNetTests --skip WickNotifyTests
    --skip WickServerTests --skip WickLiveTests --skip $exchanges"
  [reoptimize]="--filter ReoptimizeScheduleTests"
)

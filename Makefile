# Wick — the commands a newcomer runs. `make demo` and `make test` install what is missing first.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := liblua5.4-dev libsqlite3-dev libcurl4-openssl-dev libssl-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_DIR := out/demo
COMPARE_CANDLES ?= 1000000
BENCH_VENV_LOG := out/compare-venv.log
VECTORBT_VENV_LOG := out/vectorbt-venv.log
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz-toml fuzz-csv fuzz-params fuzz-bybit-rest fuzz-bybit-ws fuzz-binance-rest \
  fuzz-binance-ws fuzz-lua-host fuzz-dashboard fuzz-dashboard-routes
# libFuzzer with ASan and UBSan on the Swift and the C code (the vendored Lua included). The fuzz
# package (Fuzz/) has its own build folder, so the normal debug build is left as it is.
FUZZ_BUILD := --sanitize=address -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library \
  -Xcc -fsanitize=undefined,fuzzer-no-link
FUZZ_BIN = $(shell cd Fuzz && $(SWIFT) build $(FUZZ_BUILD) --show-bin-path)
TSAN_SCRATCH := .build-tsan
# A subset of suites under TSan (a regex for --filter, run in one process); empty runs the whole
# suite in groups.
SANITIZE_FILTER ?=
# Release builds link the Swift runtime and Foundation statically: a `wick backtest` then starts
# in 10 ms instead of 18 (the dynamic loader no longer resolves twenty thousand symbols).
RELEASE := -c release --static-swift-stdlib
BIN = $(shell $(SWIFT) build $(RELEASE) --show-bin-path)
# `make demo` and `make test` share one build: release, in .build/release, so NIO compiles once
# for both (a fresh 2-core machine spent 17 min on the two when the demo built release and the
# tests debug, BoringSSL then included; TLS is now the system's OpenSSL, so no BoringSSL
# compiles). WICK_TESTED=1 tells Package.swift that this is the build the tests use: Wick's own
# modules get -enable-testing (the tests' `@testable import`), the dependencies do not, and Wick's
# wiring (CLI, dashboard, runners, exchange adapters, test support) compiles unoptimised. It has
# no debug info (13 % of an optimised compile): a crash in a test names the functions but not
# their lines; `swift build` (debug) has them. From nothing: 673 s of CPU (893 while the dashboard
# ran on Hummingbird), 1,235 with `-Xswiftc -enable-testing` on everything. The Swift stdlib stays dynamic here: the test runner
# does not find swift-testing's module with the static one. `make release`, `bench` and
# `compare` keep the static, fully optimised build (the same .build/release folder, so switching
# between them and demo/test recompiles).
TESTED := -c release -debug-info-format none
TESTED_SWIFT := WICK_TESTED=1 $(SWIFT)
TESTED_BIN = $(shell $(TESTED_SWIFT) build $(TESTED) --show-bin-path)

.PHONY: vendor-charts deps browser-deps build release demo test browser-test chaos bench compare fuzz sanitize format clean

deps:
	@if pkg-config --exists lua5.4 libcurl libcrypto 2>/dev/null && [ -f /usr/include/sqlite3.h ]; then \
	  echo "deps: system packages present"; \
	else \
	  echo "deps: installing $(APT_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES); \
	fi

# The dashboard's browser test drives Debian's chromium headless.
browser-deps:
	@if command -v chromium >/dev/null 2>&1; then \
	  echo "deps: chromium present"; \
	else \
	  echo "deps: installing chromium"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE) --product wick

# Generates a year of 1m candles into a demo cache, backtests strategies/ma_cross.lua and writes
# the JSON and HTML reports under out/demo/.
demo: deps
	$(TESTED_SWIFT) build $(TESTED) --product wick
	@mkdir -p $(DEMO_DIR)
	@rm -f $(DEMO_DIR)/wick.sqlite*
	$(TESTED_BIN)/wick data synth --symbol BTCUSDT --timeframe 1m --candles 525600 --seed 7 --db $(DEMO_DIR)/wick.sqlite
	$(TESTED_BIN)/wick data ls --db $(DEMO_DIR)/wick.sqlite
	$(TESTED_BIN)/wick backtest strategies/ma_cross.lua --symbol BTCUSDT --timeframe 1m --db $(DEMO_DIR)/wick.sqlite \
	  --json $(DEMO_DIR)/ma_cross.json --html $(DEMO_DIR)/ma_cross.html
	@echo "Report: $(DEMO_DIR)/ma_cross.html  (open it in a browser; it needs no network)"

# The build, then the groups of Tests/groups.sh: AttackerTests on their own, then the browser
# test, the CLI suites, the async suites, the rest and ReoptimizeScheduleTests side by side, each
# in its own process (they mostly wait: 100 s of CPU in 430 s of wall when they ran one after
# another; and a test that blocks a thread must not share a process with tests that need one).
test: deps browser-deps
	$(TESTED_SWIFT) build $(TESTED) --build-tests
	Tests/groups.sh $(TESTED_BIN)

# wick serve in headless chromium at 390 and 1280 px against a real `wick run --paper` fed by the
# loopback mock exchange (Tests/WickCLITests/DashboardBrowserTests.swift drives
# Tests/Browser/dashboard_browser_test.py); screenshots under out/.
browser-test: browser-deps
	$(TESTED_SWIFT) build $(TESTED) --build-tests
	WICK_BROWSER_TEST=1 $(TESTED_SWIFT) test $(TESTED) --skip-build --filter DashboardBrowserTests

# A kill -9 storm (Tests/WickCLITests/ChaosTests.swift): a live session against the loopback Bybit
# and a paper group, each killed at 30 seeded moments and restarted; prints the kills survived and
# the invariants checked; then the ledger under faults (a lock held by another process, a full
# disk, a read-only file). 1 to 3 minutes after the build. WICK_CHAOS_SEED / WICK_CHAOS_KILLS vary it.
chaos: deps
	$(TESTED_SWIFT) build $(TESTED) --build-tests
	WICK_CHAOS=1 $(TESTED_SWIFT) test $(TESTED) --skip-build --filter 'ChaosTests|LedgerFaultTests'

# Throughput figures, one per line, each beside its baseline from the same run. The backtesting.py
# line needs the comparison venv (created on first use), the sweep line a vectorbt venv (likewise);
# without them those lines say why they skipped.
bench: deps
	$(SWIFT) build $(RELEASE) --product wick
	$(SWIFT) build $(RELEASE) --product wick-bench
	@mkdir -p out; if vbt=$$(Benchmarks/compare/vectorbt-venv.sh 2>$(VECTORBT_VENV_LOG)); then \
	  export WICK_VECTORBT_PYTHON="$$vbt/bin/python"; \
	else \
	  export WICK_VECTORBT_SKIPPED="could not create the vectorbt venv ($$(tail -n 1 $(VECTORBT_VENV_LOG)))"; \
	fi; \
	if venv=$$(Benchmarks/compare/venv.sh 2>$(BENCH_VENV_LOG)); then \
	  WICK_COMPARE_PYTHON="$$venv/bin/python" $(BIN)/wick-bench; \
	else \
	  WICK_COMPARE_SKIPPED="could not create the Python venv ($$(tail -n 1 $(BENCH_VENV_LOG)))" $(BIN)/wick-bench; \
	fi

# Wick against backtesting.py on the same 1M generated candles and the same SMA crossover: do the
# trade lists match, and how many times faster is Wick (whole process, with --json)? Creates its own
# Python venv under out/compare-venv on first use (pip install backtesting pandas).
compare: release
	Benchmarks/compare/compare.sh $(BIN)/wick $(COMPARE_CANDLES)

# Builds the libFuzzer targets (Fuzz/) and runs each for FUZZ_SECONDS from the seed corpus in
# Fuzz/Corpus; prints executions and findings per target (also in out/fuzz/summary.txt).
# SwiftPM keeps the fuzz package's build plan (Fuzz/.build/debug.yaml) while its own manifest is
# unchanged, and then never sees a source file added to Wick itself (seen: "cannot find type" after
# a pull); removing the plan makes it plan again, in seconds.
fuzz: deps
	rm -f Fuzz/.build/debug.yaml
	cd Fuzz && $(SWIFT) build $(FUZZ_BUILD)
	Fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN) $(FUZZ_TARGETS)

# The test suite under ThreadSanitizer (its own build folder, .build-tsan), in the groups of
# Tests/groups.sh one after another (sanitizers/tsan-tests.sh; the CLI suites start the TSan-built
# wick, whose reports count too), then the C code under ASan and UBSan: the Lua host fuzz target,
# with Lua, wick_pattern.h, wick_sort.h and wick_candle.c built with both, replays the Lua corpus
# (the shipped strategies and the sandbox's hostile scripts). Any report fails it (TSan's go to
# out/sanitize/tsan.PID); sanitizers/*.supp hold the suppressions, each with its reason.
sanitize: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path $(TSAN_SCRATCH)
	sanitizers/tsan-tests.sh $(TSAN_SCRATCH)/debug '$(SANITIZE_FILTER)'
	rm -f Fuzz/.build/debug.yaml
	cd Fuzz && $(SWIFT) build $(FUZZ_BUILD) --product fuzz-lua-host
	UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$(CURDIR)/sanitizers/ubsan.supp" \
	  ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no $(FUZZ_BIN)/fuzz-lua-host Fuzz/Corpus/fuzz-lua-host/* sanitizers/lua/*.lua

format:
	$(SWIFT) format --in-place --recursive Sources Tests Benchmarks

clean:
	rm -rf .build out

# Re-embeds the vendored charting library (Sources/WickReport/Vendor/lightweight-charts/) into
# the Swift source the report inlines it from.
vendor-charts:
	@{ printf '%s\n' '// Generated by `make vendor-charts` from Vendor/lightweight-charts/lightweight-charts.standalone.production.js' \
	  '// (TradingView Lightweight Charts, Apache License 2.0; see Vendor/lightweight-charts/). Do not edit.' '' \
	  '/// The charting library the report'"'"'s interactive price chart runs on, inlined into every report' \
	  '/// so that it needs no network.' 'enum LightweightCharts {' '  static let script: String = ##"""'; \
	  cat Sources/WickReport/Vendor/lightweight-charts/lightweight-charts.standalone.production.js; echo; \
	  printf '%s\n' '"""##' '}'; } > Sources/WickReport/LightweightCharts.swift

# Wick — the commands a newcomer runs. `make demo` and `make test` install what is missing first.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := liblua5.4-dev libsqlite3-dev libcurl4-openssl-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_DIR := out/demo
COMPARE_CANDLES ?= 1000000
BENCH_VENV_LOG := out/compare-venv.log
# Release builds link the Swift runtime and Foundation statically: a `wick backtest` then starts
# in 10 ms instead of 18 (the dynamic loader no longer resolves twenty thousand symbols).
RELEASE := -c release --static-swift-stdlib
BIN = $(shell $(SWIFT) build $(RELEASE) --show-bin-path)

.PHONY: deps browser-deps build release demo test browser-test bench compare format clean

deps:
	@if pkg-config --exists lua5.4 libcurl 2>/dev/null && [ -f /usr/include/sqlite3.h ]; then \
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
demo: release
	@mkdir -p $(DEMO_DIR)
	@rm -f $(DEMO_DIR)/wick.sqlite*
	$(BIN)/wick data synth --symbol BTCUSDT --timeframe 1m --candles 525600 --seed 7 --db $(DEMO_DIR)/wick.sqlite
	$(BIN)/wick data ls --db $(DEMO_DIR)/wick.sqlite
	$(BIN)/wick backtest strategies/ma_cross.lua --symbol BTCUSDT --timeframe 1m --db $(DEMO_DIR)/wick.sqlite \
	  --json $(DEMO_DIR)/ma_cross.json --html $(DEMO_DIR)/ma_cross.html
	@echo "Report: $(DEMO_DIR)/ma_cross.html  (open it in a browser; it needs no network)"

# The browser test runs first so that the whole suite's summary is the last line.
test: deps browser-deps
	$(SWIFT) build --build-tests
	$(MAKE) --no-print-directory browser-test
	$(SWIFT) test --skip-build

# wick serve in headless chromium at 390 and 1280 px against a real `wick run --paper` fed by the
# loopback mock exchange (Tests/WickCLITests/DashboardBrowserTests.swift drives
# Tests/Browser/dashboard_browser_test.py); screenshots under out/.
browser-test: browser-deps
	$(SWIFT) build --build-tests
	WICK_BROWSER_TEST=1 $(SWIFT) test --skip-build --filter DashboardBrowserTests

# Throughput figures, one per line, each beside its baseline from the same run. The backtesting.py
# line needs the comparison venv (created on first use); without it that line says why it skipped.
bench: deps
	$(SWIFT) build $(RELEASE) --product wick
	$(SWIFT) build $(RELEASE) --product wick-bench
	@mkdir -p out; if venv=$$(Benchmarks/compare/venv.sh 2>$(BENCH_VENV_LOG)); then \
	  WICK_COMPARE_PYTHON="$$venv/bin/python" $(BIN)/wick-bench; \
	else \
	  WICK_COMPARE_SKIPPED="could not create the Python venv ($$(tail -n 1 $(BENCH_VENV_LOG)))" $(BIN)/wick-bench; \
	fi

# Wick against backtesting.py on the same 1M generated candles and the same SMA crossover: do the
# trade lists match, and how many times faster is Wick (whole process, with --json)? Creates its own
# Python venv under out/compare-venv on first use (pip install backtesting pandas).
compare: release
	Benchmarks/compare/compare.sh $(BIN)/wick $(COMPARE_CANDLES)

format:
	$(SWIFT) format --in-place --recursive Sources Tests Benchmarks

clean:
	rm -rf .build out

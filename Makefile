# Wick — the commands a newcomer runs. `make demo` and `make test` install what is missing first.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := liblua5.4-dev libsqlite3-dev libcurl4-openssl-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_DIR := out/demo
BIN = $(shell $(SWIFT) build -c release --show-bin-path)

.PHONY: deps browser-deps build release demo test browser-test bench format clean

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
	$(SWIFT) build -c release --product wick

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

test: deps browser-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory browser-test

# wick serve in headless chromium at 390 and 1280 px; screenshots under out/.
browser-test: browser-deps
	$(SWIFT) build --product wick
	python3 Tests/Browser/dashboard_browser_test.py --wick "$$($(SWIFT) build --show-bin-path)/wick" --out out

bench: deps
	$(SWIFT) build -c release --product wick
	$(SWIFT) build -c release --product wick-bench
	$(BIN)/wick-bench

format:
	$(SWIFT) format --in-place --recursive Sources Tests Benchmarks

clean:
	rm -rf .build out

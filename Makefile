# Wick — the commands a newcomer runs. `make demo` and `make test` install what is missing first.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := liblua5.4-dev libsqlite3-dev libcurl4-openssl-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEMO_DIR := out/demo
BIN = $(shell $(SWIFT) build -c release --show-bin-path)

.PHONY: deps build release demo test bench format clean

deps:
	@if pkg-config --exists lua5.4 libcurl 2>/dev/null && [ -f /usr/include/sqlite3.h ]; then \
	  echo "deps: system packages present"; \
	else \
	  echo "deps: installing $(APT_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES); \
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

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	$(SWIFT) build -c release --product wick
	$(SWIFT) build -c release --product wick-bench
	$(BIN)/wick-bench

format:
	$(SWIFT) format --in-place --recursive Sources Tests Benchmarks

clean:
	rm -rf .build out

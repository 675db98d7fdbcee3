#!/usr/bin/env bash
# `make compare`: Wick against backtesting.py on the same generated candles and the same long-only
# SMA crossover. Prints whether the trade lists match (entry/exit time and price, trade by trade)
# and how many times faster Wick is. Exit status 1 on any mismatch that an exact SMA tie (decided
# by floating-point rounding on either side) does not explain.
#
#   Benchmarks/compare/compare.sh [WICK] [CANDLES] [SEED]
#
# The Python side runs in its own venv (created on first use; WICK_COMPARE_VENV overrides where).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WICK=${1:-$(swift build -c release --show-bin-path)/wick}
N=${2:-1000000}
SEED=${3:-1}
VENV=$("$here/venv.sh")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$here/gen_candles.py" "$N" "$SEED" "$work/candles.csv"
"$WICK" data import "$work/candles.csv" --symbol BTCUSDT --timeframe 1m --db "$work/wick.sqlite" >/dev/null
started=$(date +%s.%N)
"$WICK" backtest "$here/sma_cross.lua" --symbol BTCUSDT --timeframe 1m --db "$work/wick.sqlite" \
  --fee-bps 0 --spread-bps 0 --slippage-bps 0 --no-config --quiet --json "$work/wick.json" >/dev/null
ended=$(date +%s.%N)
"$VENV/bin/python" "$here/peer.py" "$work/candles.csv" "$work/peer.json" 5 20
# Wick's warmup is 60 candles: backtesting.py trades that open earlier are not compared.
python3 "$here/compare.py" "$work/wick.json" "$work/peer.json" "$work/candles.csv" 5 20 1704070800 \
  "$(python3 -c "print($ended - $started)")"

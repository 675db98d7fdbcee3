#!/usr/bin/env bash
# Instructions per candle of a whole `wick backtest --json` under callgrind, per thread and for the
# parts of the candle loop (load-independent, unlike wall clock on a shared machine):
#
#   Benchmarks/profile/backtest-profile.sh path/to/release/wick candles.sqlite CANDLES [strategy.lua]
#
# The database holds BTCUSDT 1m candles (e.g. imported from /work/shared/tools/peer-check's
# gen_candles.py output); CANDLES is their count. valgrind 3.19 cannot read the release binary's
# DWARF, so a copy without it is profiled; callgrind-lines.py maps a function's costs back to
# source lines with the original. Takes about 2 minutes for 1M candles. With WICK_PROFILE_KEEP=DIR
# the callgrind files stay in DIR (for callgrind_annotate) instead of a deleted temporary folder.
set -eu
WICK=$1 DB=$2 N=$3
here=$(cd "$(dirname "$0")" && pwd)
SCRIPT=${4:-$here/../compare/sma_cross.lua}
if [ -n "${WICK_PROFILE_KEEP:-}" ]; then
  T=$WICK_PROFILE_KEEP; mkdir -p "$T"
else
  T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fi
objcopy --strip-debug "$WICK" "$T/wick"
valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$T/cg.out" \
  "$T/wick" backtest "$SCRIPT" --symbol BTCUSDT --timeframe 1m --db "$DB" \
  --fee-bps 0 --spread-bps 0 --slippage-bps 0 --json "$T/result.json" >/dev/null 2>"$T/valgrind.log"
python3 - "$T" "$N" <<'PY'
import glob, re, subprocess, sys
folder, n = sys.argv[1], int(sys.argv[2])
total = 0
for path in sorted(glob.glob(folder + "/cg.out-*")):
    cost = int(re.search(r"^summary: (\d+)", open(path).read(), re.M).group(1))
    total += cost
    if cost > n:  # threads that did per-candle work
        print(f"thread {path[-2:]}: {cost / n:8.0f} instructions a candle")
print(f"all threads: {total / n:8.0f} instructions a candle")
parts = [  # (label, a substring of the function's symbol), inclusive costs on the main thread
    ("candle loop (kernel + strategy)", "TradingKernelC12processSlice"),
    ("  strategy call (LuaStrategy.onCandle)", "B8StrategyC8onCandle6symbol6candle4hostySi_0A4Core0E0VAH0C4Host_ptKF"),
    ("    wick_candle_deliver", "wick_candle_deliver"),
    ("      lua_pcallk", "lua_pcallk"),
    ("        luaV_execute", "luaV_execute"),
    ("          ind:update (C entry, all calls)", "wick_indicator_update1"),
    ("          host functions (ctx:enter, ...)", "wick_trampoline"),
]
annotated = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100",
                            folder + "/cg.out-01"], capture_output=True, text=True).stdout
for label, symbol in parts:
    for line in annotated.splitlines():
        m = re.match(r"\s*([\d,]+) \(", line)
        if m and symbol in line:
            print(f"{label:44} {int(m.group(1).replace(',', '')) / n:8.0f}")
            break
PY

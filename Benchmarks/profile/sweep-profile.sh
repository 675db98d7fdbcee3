#!/usr/bin/env bash
# Instructions per candle per parameter set of a `wick optimize` of strategies/ma_cross.lua under
# callgrind (load-independent, unlike wall clock on a shared machine): the sets' own threads, and
# their costliest functions (self cost):
#
#   Benchmarks/profile/sweep-profile.sh path/to/release/wick candles.sqlite [FROM TO [PARAM]]
#
# The database holds BTCUSDT 1m candles (e.g. `wick data synth --symbol BTCUSDT --timeframe 1m
# --candles 1000000 --seed 7`, the bench's series); FROM/TO default to January 2024 (44,640
# candles), PARAM to two sets (period=20:40:20). The sets' figure is SweepEvaluator.simulate's
# inclusive cost (loading the script, init, the candle loop, the result), the whole process's
# adds start-up and reading the cache once for every set. Takes about a minute. With
# WICK_PROFILE_KEEP=DIR the callgrind files stay in DIR (for callgrind_annotate and
# callgrind-lines.py).
set -eu
WICK=$1 DB=$2 FROM=${3:-2024-01-01} TO=${4:-2024-02-01} PARAM=${5:-period=20:40:20}
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${WICK_PROFILE_KEEP:-}" ]; then
  T=$WICK_PROFILE_KEEP; mkdir -p "$T"
else
  T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fi
rm -rf "$T/sweep" "$T"/cg.out*
objcopy --strip-debug "$WICK" "$T/wick"
valgrind --tool=callgrind --dump-instr=yes --separate-threads=yes --callgrind-out-file="$T/cg.out" \
  "$T/wick" optimize "$here/../../strategies/ma_cross.lua" --symbol BTCUSDT --timeframe 1m \
  --db "$DB" --from "$FROM" --to "$TO" --param "$PARAM" --workers 1 --out "$T/sweep" \
  >"$T/optimize.log" 2>"$T/valgrind.log"
python3 - "$T" <<'PY'
import glob, json, re, subprocess, sys
folder = sys.argv[1]
m = re.search(r"ran (\d+) sets", open(folder + "/optimize.log").read())
sets = int(m.group(1))
candles = json.load(open(folder + "/sweep/selected.json"))[0]["candles"]
print(f"{sets} sets of {candles} candles")
# valgrind reuses a finished thread's number, so one file may hold several sets (or the loading):
# the sets' cost is the inclusive cost of SweepEvaluator.simulate, summed over the files.
total = per_set = 0
merged = {}
for path in sorted(glob.glob(folder + "/cg.out-*")):
    total += int(re.search(r"^summary: (\d+)", open(path).read(), re.M).group(1))
    inclusive = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                               capture_output=True, text=True).stdout
    for line in inclusive.splitlines():
        m = re.match(r"\s*([\d,]+) \(", line)
        if m and "SweepEvaluatorC8simulate" in line:
            per_set += int(m.group(1).replace(",", ""))
            break
    else:
        continue
    own = subprocess.run(["callgrind_annotate", "--threshold=100", path],
                         capture_output=True, text=True).stdout
    for line in own.splitlines():
        m = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+\S*?:(.*) \[", line)
        if m and "PROGRAM TOTALS" not in line:
            merged[m.group(2)] = merged.get(m.group(2), 0) + int(m.group(1).replace(",", ""))
n = candles * sets
print(f"the sets (SweepEvaluator.simulate, inclusive): {per_set / n:6.0f} instructions a candle per set")
print(f"whole process, all threads:                    {total / n:6.0f} instructions a candle per set")
print("costliest functions on the sets' threads (self, instructions a candle per set):")
for name, cost in sorted(merged.items(), key=lambda kv: -kv[1])[:32]:
    pretty = subprocess.run(["swift", "demangle", "--simplified", "--compact", name],
                            capture_output=True, text=True).stdout.strip() or name
    print(f"  {cost / n:6.0f}  {pretty[:110]}")
PY

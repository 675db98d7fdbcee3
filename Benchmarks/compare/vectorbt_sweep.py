"""The peer of `make bench`'s sweep line: vectorbt's broadcast `Portfolio.from_signals` over a grid
of the long-only SMA crossover of sma_cross.lua, on the same candles.

    vectorbt_sweep.py CANDLES.csv FASTS SLOWS OUT.json      (FASTS, SLOWS: comma-separated)

Writes {"seconds": best of 3, "cpu_seconds": best CPU time of 3, "cold_seconds": first run,
"sets": N}. The timed part is what a
vectorbt user's sweep does after loading the data: both moving averages for every set, the
crossover signals and the portfolio simulation of all sets' columns at once, up to each set's
total return. Numba compiles vectorbt's kernels on first use: that first run is reported apart
and the figure compared is the best of three warm runs (vectorbt at its best).
"""
import json
import sys
import time

import pandas as pd
import vectorbt as vbt


def sweep(close, fasts, slows):
    fw = [f for f in fasts for s in slows]
    sw = [s for f in fasts for s in slows]
    fast = vbt.MA.run(close, fw, short_name="fast")
    slow = vbt.MA.run(close, sw, short_name="slow")
    entries = fast.ma_crossed_above(slow)
    exits = fast.ma_crossed_below(slow)
    pf = vbt.Portfolio.from_signals(close, entries, exits, fees=0.0, freq="1min")
    return pf.total_return()


def main():
    path, fasts, slows, out = sys.argv[1:5]
    fasts = [int(x) for x in fasts.split(",")]
    slows = [int(x) for x in slows.split(",")]
    df = pd.read_csv(path)
    close = pd.Series(df["close"].values, index=pd.to_datetime(df["time"], unit="ms"))
    started = time.perf_counter()
    returns = sweep(close, fasts, slows)
    cold = time.perf_counter() - started
    best, best_cpu = float("inf"), float("inf")
    for _ in range(3):
        started, cpu = time.perf_counter(), time.process_time()
        returns = sweep(close, fasts, slows)
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    with open(out, "w") as f:
        json.dump(
            {"seconds": best, "cpu_seconds": best_cpu, "cold_seconds": cold,
             "sets": int(returns.shape[0])}, f)


if __name__ == "__main__":
    main()

"""The same long-only SMA crossover in backtesting.py; writes its trades and run time as JSON.

    python peer.py CANDLES.csv OUT.json FAST SLOW

The time is Backtest.run() alone (the CSV load and pandas setup are not counted).
"""
import json
import sys
import time
import warnings

import pandas as pd
from backtesting import Backtest, Strategy
from backtesting.lib import crossover
from backtesting.test import SMA

warnings.filterwarnings("ignore")
csv, out, fast, slow = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
df = pd.read_csv(csv)
df.index = pd.to_datetime(df["time"], unit="ms", utc=True).dt.tz_localize(None)
df = df.rename(columns=str.capitalize)[["Open", "High", "Low", "Close", "Volume"]]


class Cross(Strategy):
    def init(self):
        self.f = self.I(SMA, self.data.Close, fast)
        self.s = self.I(SMA, self.data.Close, slow)

    def next(self):
        if not self.position and crossover(self.f, self.s):
            self.buy(size=1)
        elif self.position and crossover(self.s, self.f):
            self.position.close()


started = time.perf_counter()
stats = Backtest(df, Cross, cash=1e12, commission=0, finalize_trades=False).run()
elapsed = time.perf_counter() - started
trades = [
    {
        "entry_time": r.EntryTime.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "entry_price": float(r.EntryPrice),
        "exit_time": r.ExitTime.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "exit_price": float(r.ExitPrice),
    }
    for r in stats["_trades"].itertuples()
]
with open(out, "w") as f:
    json.dump({"seconds": elapsed, "trades": trades}, f)

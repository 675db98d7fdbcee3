"""Reference values for Wick's streaming indicators, computed once with TA-Lib (and pandas where
TA-Lib has no such function) over a deterministic candle series, and committed with it.

Run: python3 -m venv /tmp/ta && /tmp/ta/bin/pip install TA-Lib pandas
     /tmp/ta/bin/python make_indicator_fixtures.py > indicators.json
Neither TA-Lib nor pandas is a dependency of Wick: only this script uses them.

Where TA-Lib has no function the formula is written out here (and in docs/strategy-api.md):
  keltner(n, m)      middle = EMA(close, n); upper/lower = middle ± m·ATR(n)  (TA-Lib EMA and ATR)
  donchian(n)        upper = max(high, n), lower = min(low, n), middle = (upper + lower)/2  (pandas)
  vwap()             Σ(typical·volume)/Σ volume since 00:00 UTC, typical = (high+low+close)/3 (pandas)
  supertrend(n, m)   bands hl2 ± m·ATR(n) (TA-Lib ATR), ratcheted; direction flips when the close
                     crosses the previous final band (the usual definition, as pandas-ta's loop)
"""
import json
import math

import numpy as np
import pandas as pd
import talib

rng = np.random.default_rng(20261207)
N = 800
STEP = 15 * 60_000  # 15m candles: the series crosses 9 UTC days (vwap resets)
T0 = 1_704_067_200_000  # 2024-01-01T00:00Z

# A random walk with volatility clustering and a trend change, some flat candles and equal
# highs so that TA-Lib's zero guards and tie rules are exercised.
close = np.empty(N)
open_ = np.empty(N)
high = np.empty(N)
low = np.empty(N)
volume = np.empty(N)
price = 42_000.0
vol = 0.004
for i in range(N):
    vol = max(0.0005, min(0.02, vol * math.exp(rng.normal(0, 0.15))))
    drift = 0.0006 if i < 400 else (-0.0008 if i < 750 else 0.0)
    o = price
    price = o * math.exp(drift + rng.normal(0, vol))
    h = max(o, price) * (1 + abs(rng.normal(0, vol / 2)))
    l = min(o, price) * (1 - abs(rng.normal(0, vol / 2)))
    v = float(rng.gamma(2.0, 50.0))
    if i % 97 == 50:  # a flat candle: no range, no change
        price = o
        h = l = o
    if i % 89 == 40 and i > 0:  # a candle equal to the previous one's high
        h = max(high[i - 1], o, price)
    open_[i], close[i], high[i], low[i], volume[i] = o, price, h, l, v
times = [T0 + i * STEP for i in range(N)]


def out(x, digits=None):
    """NaN (not yet defined) as null; outputs rounded to 13 significant digits (far below the
    1e-6 the tests ask for) to keep the file small, inputs exact."""
    fmt = (lambda v: float(f"{v:.{digits}g}")) if digits else float
    return [None if math.isnan(v) else fmt(v) for v in np.asarray(x, dtype=float)]


cases = {}


def case(name, args, *outputs):
    cases[name] = {"args": args, "outputs": [out(o, 13) for o in outputs]}


H, L, C, V = high, low, close, volume
case("macd", [12, 26, 9], *talib.MACD(C, 12, 26, 9))
case("bbands", [20, 2], *talib.BBANDS(C, 20, 2, 2, 0))
case("adx", [14], talib.ADX(H, L, C, 14), talib.PLUS_DI(H, L, C, 14), talib.MINUS_DI(H, L, C, 14))
case("stoch", [14, 3, 3], *talib.STOCH(H, L, C, 14, 3, 0, 3, 0))
case("stochrsi", [14, 5, 3], *talib.STOCHRSI(C, 14, 5, 3, 0))
case("cci", [14], talib.CCI(H, L, C, 14))
case("mfi", [14], talib.MFI(H, L, C, V, 14))
case("obv", [], talib.OBV(C, V))
case("wma", [20], talib.WMA(C, 20))
case("dema", [20], talib.DEMA(C, 20))
case("tema", [20], talib.TEMA(C, 20))
case("kama", [30], talib.KAMA(C, 30))
case("roc", [10], talib.ROC(C, 10))
case("willr", [14], talib.WILLR(H, L, C, 14))
case("natr", [14], talib.NATR(H, L, C, 14))
case("psar", [0.02, 0.2], talib.SAR(H, L, 0.02, 0.2))

# keltner(20, 2): TA-Lib EMA ± 2·ATR, both over 20.
ema20, atr20 = talib.EMA(C, 20), talib.ATR(H, L, C, 20)
case("keltner", [20, 2], ema20 + 2 * atr20, ema20, ema20 - 2 * atr20)

# donchian(20) with pandas rolling windows.
df = pd.DataFrame({"t": times, "high": H, "low": L, "close": C, "volume": V})
up = df["high"].rolling(20).max()
dn = df["low"].rolling(20).min()
case("donchian", [20], up, (up + dn) / 2, dn)

# vwap anchored at the UTC day.
day = df["t"] // 86_400_000
pv = ((df["high"] + df["low"] + df["close"]) / 3) * df["volume"]
case("vwap", [], pv.groupby(day).cumsum() / df["volume"].groupby(day).cumsum())

# supertrend(10, 3), written out as a loop.
n, m = 10, 3.0
atr = talib.ATR(H, L, C, n)
hl2 = (H + L) / 2
st = np.full(N, np.nan)
direction = np.full(N, np.nan)
final_up = final_dn = None
d = 1
for i in range(N):
    if math.isnan(atr[i]):
        continue
    basic_up, basic_dn = hl2[i] + m * atr[i], hl2[i] - m * atr[i]
    if final_up is None:
        final_up, final_dn = basic_up, basic_dn
    else:
        prev_up, prev_dn = final_up, final_dn
        final_up = basic_up if (basic_up < prev_up or C[i - 1] > prev_up) else prev_up
        final_dn = basic_dn if (basic_dn > prev_dn or C[i - 1] < prev_dn) else prev_dn
        if C[i] > prev_up:
            d = 1
        elif C[i] < prev_dn:
            d = -1
    st[i] = final_dn if d == 1 else final_up
    direction[i] = d
case("supertrend", [10, 3], st, direction)

print(json.dumps({
    "talib": talib.__version__ if hasattr(talib, "__version__") else "?",
    "talib_c": talib.__ta_version__.decode() if isinstance(getattr(talib, "__ta_version__", None), bytes) else str(getattr(talib, "__ta_version__", "?")),
    "pandas": pd.__version__,
    "candles": {"t": times, "open": out(open_), "high": out(H), "low": out(L), "close": out(C), "volume": out(V)},
    "cases": cases,
}))

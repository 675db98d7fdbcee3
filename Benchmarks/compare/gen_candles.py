"""Candles for the comparison: a seeded random walk with volatility regimes, as CSV (epoch ms).

    python3 gen_candles.py N SEED OUT.csv
"""
import math
import random
import sys

n, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(seed)
t0 = 1_704_067_200_000  # 2024-01-01T00:00Z
price, vol = 42000.0, 0.0015
with open(out, "w") as f:
    f.write("time,open,high,low,close,volume\n")
    for i in range(n):
        if i % 1440 == 0:
            vol = max(0.0004, min(0.004, vol * math.exp(rng.gauss(0, 0.3))))
        drift = 0.00002 * math.sin(i / 5000.0)
        o = price
        c = o * math.exp(drift + rng.gauss(0, vol))
        h = max(o, c) * (1 + abs(rng.gauss(0, vol / 2)))
        l = min(o, c) * (1 - abs(rng.gauss(0, vol / 2)))
        v = abs(rng.gauss(50, 20)) + 1
        f.write(f"{t0 + i * 60000},{o:.2f},{h:.2f},{l:.2f},{c:.2f},{v:.4f}\n")
        price = c

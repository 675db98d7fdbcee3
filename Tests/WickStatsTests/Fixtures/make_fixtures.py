"""Reference values for WickStats, computed once with statsmodels and committed with the series.

Run: python3 -m venv /tmp/sm && /tmp/sm/bin/pip install statsmodels
     /tmp/sm/bin/python make_fixtures.py > coint.json
statsmodels is not a runtime dependency of Wick: only this script uses it.
"""
import json
import numpy as np
import statsmodels
from statsmodels.tsa.stattools import adfuller, coint

rng = np.random.default_rng(20241123)


def walk(n, vol=1.0, start=100.0):
    return start + np.cumsum(rng.normal(0, vol, n))


def ar1(n, phi, vol):
    e = np.zeros(n)
    for t in range(1, n):
        e[t] = phi * e[t - 1] + rng.normal(0, vol)
    return e


cases = []
b = walk(800)
cases.append({"name": "cointegrated", "y": list(1.7 * b + 20 + ar1(800, 0.8, 1.0)), "x": list(b)})
cases.append({"name": "independent walks", "y": list(walk(1000)), "x": list(walk(1000))})
b2 = walk(600, 0.5)
cases.append({"name": "near unit root spread", "y": list(0.9 * b2 + ar1(600, 0.98, 0.4)), "x": list(b2)})
b3 = walk(1500, 2.0, 500)
cases.append({"name": "long fast-reverting", "y": list(-0.5 * b3 + 400 + ar1(1500, 0.3, 2.0)), "x": list(b3)})

for c in cases:
    y, x = np.array(c["y"]), np.array(c["x"])
    stat, p, _ = coint(y, x)
    c["coint_stat"], c["coint_pvalue"] = float(stat), float(p)
    a = adfuller(y, autolag="AIC", regression="c", result_object=False)
    c["adf_stat"], c["adf_pvalue"], c["adf_usedlag"] = float(a[0]), float(a[1]), int(a[2])

print(json.dumps({"statsmodels": statsmodels.__version__, "cases": cases}))

"""Compares Wick's trade list with backtesting.py's, trade by trade, and prints the verdict.

    python3 compare.py WICK.json PEER.json SKIP_BEFORE_EPOCH_S CANDLES WICK_SECONDS [--json-out]

A trade matches when entry and exit times are equal and prices agree to 1e-6 (relative).
Trades that backtesting.py opens before SKIP_BEFORE (inside Wick's warmup) are not compared.
Exit status 1 when any of backtesting.py's trades has no match in Wick's list.
"""
import json
import sys
from datetime import datetime, timezone


def seconds(text):
    d = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int((d if d.tzinfo else d.replace(tzinfo=timezone.utc)).timestamp())


wick, peer = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
skip_before, candles, wick_seconds = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
by_entry = {seconds(t["entry_time"]): t for t in wick["trades"]}
theirs = [t for t in peer["trades"] if seconds(t["entry_time"]) >= skip_before]


def same(w, p):
    return (
        w is not None
        and seconds(w["exit_time"]) == seconds(p["exit_time"])
        and abs(w["entry_price"] - p["entry_price"]) <= 1e-6 * p["entry_price"]
        and abs(w["exit_price"] - p["exit_price"]) <= 1e-6 * p["exit_price"]
    )


matched = sum(same(by_entry.get(seconds(t["entry_time"])), t) for t in theirs)
peer_seconds = peer["seconds"]
print(f"trades: {matched}/{len(theirs)} of backtesting.py's matched (Wick made {len(wick['trades'])})")
print(
    f"speed: {candles} candles, backtesting.py {peer_seconds:.2f} s (Backtest.run), "
    f"Wick {wick_seconds:.2f} s (whole process, --json) -> Wick is {peer_seconds / wick_seconds:.1f}x faster"
)
sys.exit(0 if matched == len(theirs) and theirs else 1)

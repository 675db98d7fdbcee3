import WickCore

/// The `--json` result: deterministic (same inputs → byte-identical text), times as ISO-8601 UTC.
///
///     {"strategy": "ma_cross", "params": {...}, "symbol": "BTCUSDT", "symbols": [...],
///      "timeframe": "1m", "candles": 525600, "from": "...", "to": "...", "initial_equity": ...,
///      "final_equity": ..., "trades": [{"symbol", "side", "entry_time", "entry_price", "exit_time",
///      "exit_price", "qty", "fees", "spread", "slippage", "funding", "pnl", "r", "exit_reason",
///      "exit_note", "tag"}], "metrics": {...}, "refusals": {...}, "limits": [...], "error": null,
///      "equity": [[time, value], ...]}
public enum ResultJSON {
  public static func encode(_ r: BacktestResult, metrics: Metrics) -> String {
    var w = JSONWriter()
    func key(_ k: String, first: Bool = false) {
      w.raw(first ? "\n  " : ",\n  ")
      w.string(k)
      w.raw(": ")
    }
    w.raw("{")
    key("strategy", first: true)
    w.string(r.strategy)
    key("params")
    w.raw("{")
    for (i, p) in r.params.enumerated() {
      if i > 0 { w.raw(", ") }
      w.string(p.name)
      w.raw(": ")
      value(p.value, &w)
    }
    w.raw("}")
    key("symbol")
    w.string(r.symbols.first ?? "")
    key("symbols")
    w.raw("[" + r.symbols.map { s -> String in
      var x = JSONWriter()
      x.string(s)
      return x.text
    }.joined(separator: ", ") + "]")
    key("timeframe")
    w.string(r.timeframe.description)
    key("candles")
    w.number(Double(r.candles))
    key("from")
    if let t = r.firstTime { w.string(UTCTime.iso(t)) } else { w.raw("null") }
    key("to")
    if let t = r.lastTime { w.string(UTCTime.iso(t + r.timeframe.milliseconds)) } else { w.raw("null") }
    key("initial_equity")
    w.number(r.initialEquity)
    key("final_equity")
    w.number(r.finalEquity)
    key("trades")
    w.raw("[")
    for (i, t) in r.trades.enumerated() {
      w.raw(i == 0 ? "\n    {" : ",\n    {")
      w.raw("\"symbol\": ")
      w.string(t.symbol)
      w.raw(", \"side\": ")
      w.string(t.side.rawValue)
      w.raw(", \"entry_time\": ")
      w.string(UTCTime.iso(t.entryTime))
      w.raw(", \"entry_price\": ")
      w.number(t.entryPrice)
      w.raw(", \"exit_time\": ")
      w.string(UTCTime.iso(t.exitTime))
      w.raw(", \"exit_price\": ")
      w.number(t.exitPrice)
      for (k, v) in [
        ("qty", t.qty), ("fees", t.fees), ("spread", t.spreadCost), ("slippage", t.slippageCost), ("funding", t.funding),
        ("pnl", t.pnl), ("r", t.r),
      ] as [(String, Double?)] {
        w.raw(", \"\(k)\": ")
        w.number(v)
      }
      w.raw(", \"exit_reason\": ")
      w.string(t.exitReason.rawValue)
      w.raw(", \"exit_note\": ")
      if let n = t.exitNote { w.string(n) } else { w.raw("null") }
      w.raw(", \"tag\": ")
      if let tag = t.tag { w.string(tag) } else { w.raw("null") }
      w.raw("}")
    }
    w.raw(r.trades.isEmpty ? "]" : "\n  ]")
    key("metrics")
    w.raw("{")
    for (i, f) in metrics.fields.enumerated() {
      w.raw(i == 0 ? "\n    " : ",\n    ")
      w.string(f.key)
      w.raw(": ")
      w.number(f.value)
    }
    w.raw("\n  }")
    key("refusals")
    w.raw("{")
    for (i, code) in r.refusals.keys.sorted().enumerated() {
      if i > 0 { w.raw(", ") }
      w.string(code)
      w.raw(": ")
      w.number(Double(r.refusals[code]!))
    }
    w.raw("}")
    key("limits")
    w.raw("[")
    for (i, l) in r.limitsInForce.enumerated() {
      if i > 0 { w.raw(", ") }
      w.string(l)
    }
    w.raw("]")
    key("error")
    if let e = r.error { w.string(e) } else { w.raw("null") }
    key("risk_events")
    w.raw("[")
    for (i, e) in r.riskEvents.enumerated() {
      w.raw(i == 0 ? "\n    {" : ",\n    {")
      w.raw("\"time\": ")
      w.string(UTCTime.iso(e.time))
      w.raw(", \"kind\": ")
      w.string(e.kind.rawValue)
      w.raw(", \"account\": ")
      w.string(e.account)
      w.raw(", \"detail\": ")
      w.string(e.detail)
      w.raw("}")
    }
    w.raw(r.riskEvents.isEmpty ? "]" : "\n  ]")
    key("risk_state")
    w.raw("[")
    for (i, p) in r.riskStates.enumerated() {
      w.raw(i == 0 ? "\n    {" : ",\n    {")
      w.raw("\"time\": ")
      w.string(UTCTime.iso(p.time))
      w.raw(", \"account\": ")
      w.string(p.account)
      w.raw(", \"decay_factor\": ")
      w.number(p.decayFactor)
      w.raw(", \"daily_loss_used\": ")
      w.number(p.dailyLossUsed)
      w.raw(", \"killed\": \(p.killed)}")
    }
    w.raw(r.riskStates.isEmpty ? "]" : "\n  ]")
    key("equity")
    w.raw("[")
    for (i, p) in r.equity.enumerated() {
      w.raw(i == 0 ? "\n    [" : ",\n    [")
      w.string(UTCTime.iso(p.time))
      w.raw(", ")
      w.number(p.equity)
      w.raw("]")
    }
    w.raw(r.equity.isEmpty ? "]" : "\n  ]")
    w.raw("\n}\n")
    return w.text
  }

  /// The params as a JSON object (for the ledger).
  public static func params(_ params: [(name: String, value: ParamValue)]) -> String {
    var w = JSONWriter()
    value(.table(params.map { ($0.name, $0.value) }), &w)
    return w.text
  }

  /// The metrics as a JSON object (for the ledger).
  public static func metrics(_ m: Metrics) -> String {
    var w = JSONWriter()
    w.raw("{")
    for (i, f) in m.fields.enumerated() {
      if i > 0 { w.raw(", ") }
      w.string(f.key)
      w.raw(": ")
      w.number(f.value)
    }
    w.raw("}")
    return w.text
  }

  static func value(_ v: ParamValue, _ w: inout JSONWriter) {
    switch v {
    case .number(let d): w.number(d)
    case .bool(let b): w.raw(b ? "true" : "false")
    case .string(let s): w.string(s)
    case .list(let items):
      w.raw("[")
      for (i, x) in items.enumerated() {
        if i > 0 { w.raw(", ") }
        value(x, &w)
      }
      w.raw("]")
    case .table(let kv):
      w.raw("{")
      for (i, (k, x)) in kv.enumerated() {
        if i > 0 { w.raw(", ") }
        w.string(k)
        w.raw(": ")
        value(x, &w)
      }
      w.raw("}")
    }
  }
}

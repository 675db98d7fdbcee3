import WickCore

/// The readable plain-text summary `wick backtest` prints.
public enum SummaryTable {
  public static func render(_ r: BacktestResult, metrics m: Metrics) -> String {
    var lines: [String] = []
    let period =
      r.firstTime.map {
        UTCTime.iso($0) + " → " + UTCTime.iso((r.lastTime ?? $0) + r.timeframe.milliseconds)
      } ?? "no candles"
    lines.append(
      "\(r.strategy)  \(r.symbols.joined(separator: ",")) \(r.timeframe)  \(period)  (\(r.candles) candles)"
    )
    if !r.params.isEmpty {
      lines.append("params  " + r.params.map { "\($0.name)=\($0.value)" }.joined(separator: " "))
    }
    lines.append(
      "equity  \(Format.money(r.initialEquity)) → \(Format.money(r.finalEquity))")
    lines.append("")
    let rows = Format.metricRows(m)
    let labelWidth = rows.map(\.0.count).max() ?? 0
    let valueWidth = rows.map(\.1.count).max() ?? 0
    let half = (rows.count + 1) / 2
    for i in 0..<half {
      var line = cell(rows[i], labelWidth, valueWidth)
      if i + half < rows.count { line += "    " + cell(rows[i + half], labelWidth, valueWidth) }
      lines.append(line)
    }
    let o = r.limitOrders
    if o.placed > 0 {
      let fees = r.trades.reduce(0.0) { $0 + $1.fees }
      lines.append("")
      lines.append(
        "limit orders: \(o.placed) placed, \(o.filled) filled, \(o.expired) expired, \(o.cancelled) cancelled; fees \(Format.money(o.makerFees)) maker, \(Format.money(fees - o.makerFees)) taker"
      )
    }
    if !r.refusals.isEmpty {
      lines.append("")
      lines.append(
        "refused intents: "
          + r.refusals.keys.sorted().map { "\($0) \(r.refusals[$0]!)" }.joined(separator: ", "))
    }
    if !r.limitsInForce.isEmpty {
      lines.append("limits in force: " + r.limitsInForce.joined(separator: "; "))
    }
    if let error = r.error {
      lines.append("")
      lines.append("the run stopped early: " + error)
    }
    return lines.joined(separator: "\n")
  }

  private static func cell(_ row: (String, String), _ lw: Int, _ vw: Int) -> String {
    row.0.padding(toLength: lw, withPad: " ", startingAt: 0) + "  "
      + String(repeating: " ", count: max(0, vw - row.1.count)) + row.1
  }
}

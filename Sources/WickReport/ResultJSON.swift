import Foundation
import WickCore

/// The `--json` result: deterministic (same inputs → byte-identical text), times as ISO-8601 UTC.
///
///     {"strategy": "ma_cross", "params": {...}, "symbol": "BTCUSDT", "symbols": [...],
///      "timeframe": "1m", "candles": 525600, "from": "...", "to": "...", "initial_equity": ...,
///      "final_equity": ..., "trades": [{"symbol", "side", "entry_time", "entry_price", "exit_time",
///      "exit_price", "qty", "fees", "spread", "slippage", "funding", "pnl", "r", "exit_reason",
///      "exit_note", "tag", "entry_type", "position", "partial"}], "metrics": {...},
///      "refusals": {...}, "limits": [...], "error": null, "reproduce": {...}, "orders": {...},
///      "equity": [[time, value], ...], "underwater": [[time, drawdown from the peak], ...]}
///
/// A trade row is one close of a position: `position` numbers the position (1, 2, …), so a
/// partial close (`partial: true`) and the final close of the same position share it.
public enum ResultJSON {
  public static func encode(
    _ r: BacktestResult, metrics: Metrics, tearsheet: Tearsheet? = nil, reproduce: Reproduce? = nil
  ) -> String {
    String(
      decoding: encodeUTF8(r, metrics: metrics, tearsheet: tearsheet, reproduce: reproduce),
      as: UTF8.self)
  }

  /// The same text as `encode`, as UTF-8 bytes (what a file gets; no String in between).
  public static func encodeUTF8(
    _ r: BacktestResult, metrics: Metrics, tearsheet: Tearsheet? = nil, reproduce: Reproduce? = nil
  ) -> [UInt8] {
    writer(r, metrics: metrics, tearsheet: tearsheet, reproduce: reproduce).bytes
  }

  /// Calls `body` with the UTF-8 text of `encode`, borrowed from the writer's buffer: a file
  /// write then copies the megabytes of a long trade list no further.
  public static func withUTF8<R>(
    _ r: BacktestResult, metrics: Metrics, tearsheet: Tearsheet? = nil, reproduce: Reproduce? = nil,
    _ body: (UnsafeBufferPointer<UInt8>) throws -> R
  ) rethrows -> R {
    try writer(r, metrics: metrics, tearsheet: tearsheet, reproduce: reproduce).withBytes(body)
  }

  /// The text of `encode` in parts whose concatenation is the document, borrowed for `body`.
  /// With a `stream` that saw every trade of `r`, its text is spliced in as the trades array:
  /// nothing is left to write for them but the file.
  public static func withUTF8Parts<R>(
    _ r: BacktestResult, metrics: Metrics, tearsheet: Tearsheet? = nil, reproduce: Reproduce? = nil,
    trades stream: TradeJSONStream?, _ body: ([UnsafeBufferPointer<UInt8>]) throws -> R
  ) rethrows -> R {
    guard let streamed = stream?.finish(matching: r.trades) else {
      return try withUTF8(r, metrics: metrics, tearsheet: tearsheet, reproduce: reproduce) {
        try body([$0])
      }
    }
    var head = JSONWriter(capacity: 8_192)
    self.head(r, &head)
    head.raw("[")
    var tail = JSONWriter(capacity: 8_192 + r.equity.count * 88)
    tail.raw(r.trades.isEmpty ? "]" : "\n  ]")
    self.tail(
      r, metrics: metrics, tearsheet: tearsheet ?? Tearsheet(r), reproduce: reproduce, &tail)
    return try head.withBytes { h in
      try streamed.withBytes { t in try tail.withBytes { try body([h, t, $0]) } }
    }
  }

  /// Bytes reserved per trade: above the ~440 a trade with full-precision prices takes, so a
  /// long list is written without the buffer growing (and copying itself) on the way.
  static let bytesPerTrade = 480

  static func writer(
    _ r: BacktestResult, metrics: Metrics, tearsheet: Tearsheet?, reproduce: Reproduce?
  ) -> JSONWriter {
    var w = JSONWriter(capacity: 8_192 + r.trades.count * bytesPerTrade + r.equity.count * 88)
    head(r, &w)
    trades(r.trades, &w)
    tail(r, metrics: metrics, tearsheet: tearsheet ?? Tearsheet(r), reproduce: reproduce, &w)
    return w
  }

  private static func key(_ k: String, first: Bool = false, _ w: inout JSONWriter) {
    w.raw(first ? "\n  " : ",\n  ")
    w.string(k)
    w.raw(": ")
  }

  /// Everything before the trades array, ending in `"trades": `.
  private static func head(_ r: BacktestResult, _ w: inout JSONWriter) {
    w.raw("{")
    key("strategy", first: true, &w)
    w.string(r.strategy)
    key("params", &w)
    w.raw("{")
    for (i, p) in r.params.enumerated() {
      if i > 0 { w.raw(", ") }
      w.string(p.name)
      w.raw(": ")
      value(p.value, &w)
    }
    w.raw("}")
    key("symbol", &w)
    w.string(r.symbols.first ?? "")
    key("symbols", &w)
    w.raw("[")
    for (i, s) in r.symbols.enumerated() {
      if i > 0 { w.raw(", ") }
      w.string(s)
    }
    w.raw("]")
    key("timeframe", &w)
    w.string(r.timeframe.description)
    key("candles", &w)
    w.number(Double(r.candles))
    key("from", &w)
    if let t = r.firstTime { w.time(t) } else { w.raw("null") }
    key("to", &w)
    if let t = r.lastTime {
      w.time(t + r.timeframe.milliseconds)
    } else {
      w.raw("null")
    }
    key("initial_equity", &w)
    w.number(r.initialEquity)
    key("final_equity", &w)
    w.number(r.finalEquity)
    key("trades", &w)
  }

  /// Everything after the trades array, from `"metrics"` to the end.
  private static func tail(
    _ r: BacktestResult, metrics: Metrics, tearsheet: Tearsheet, reproduce: Reproduce?,
    _ w: inout JSONWriter
  ) {
    key("metrics", &w)
    w.raw("{")
    for (i, f) in metrics.fields.enumerated() {
      w.raw(i == 0 ? "\n    " : ",\n    ")
      w.string(f.key)
      w.raw(": ")
      w.number(f.value)
    }
    w.raw("\n  }")
    key("refusals", &w)
    w.raw("{")
    for (i, code) in r.refusals.keys.sorted().enumerated() {
      if i > 0 { w.raw(", ") }
      w.string(code)
      w.raw(": ")
      w.number(Double(r.refusals[code]!))
    }
    w.raw("}")
    key("limits", &w)
    w.raw("[")
    for (i, l) in r.limitsInForce.enumerated() {
      if i > 0 { w.raw(", ") }
      w.string(l)
    }
    w.raw("]")
    key("error", &w)
    if let e = r.error { w.string(e) } else { w.raw("null") }
    // Only a run that knows its inputs (`wick backtest`) writes it; the other keys stay as they were.
    if let reproduce {
      key("reproduce", &w)
      reproduce.write(&w)
    }
    key("orders", &w)
    orders(r, &w)
    key("risk_events", &w)
    objects(r.riskEvents, &w) { e, w in
      w.field("time", first: true) { $0.time(e.time) }
      w.field("kind") { $0.string(e.kind.rawValue) }
      w.field("account") { $0.string(e.account) }
      w.field("detail") { $0.string(e.detail) }
    }
    key("risk_state", &w)
    objects(r.riskStates, &w) { p, w in
      w.field("time", first: true) { $0.time(p.time) }
      w.field("account") { $0.string(p.account) }
      w.field("decay_factor") { $0.number(p.decayFactor) }
      w.field("daily_loss_used") { $0.number(p.dailyLossUsed) }
      w.field("killed") { $0.raw(p.killed ? "true" : "false") }
    }
    tearsheetKeys(tearsheet, &w)
    key("equity", &w)
    w.raw("[")
    for (i, p) in r.equity.enumerated() {
      w.raw(i == 0 ? "\n    [" : ",\n    [")
      w.time(p.time)
      w.raw(", ")
      w.number(p.equity)
      w.raw("]")
    }
    w.raw(r.equity.isEmpty ? "]" : "\n  ]")
    key("underwater", &w)
    w.raw("[")
    for (i, p) in Tearsheet.underwater(r.equity).enumerated() {
      w.raw(i == 0 ? "\n    [" : ",\n    [")
      w.time(p.time)
      w.raw(", ")
      w.number(p.value)
      w.raw("]")
    }
    w.raw(r.equity.isEmpty ? "]" : "\n  ]")
    w.raw("\n}\n")
  }

  /// The tearsheet's keys (`monthly_returns` … `attribution`), between `risk_state` and `equity`:
  ///
  ///     "attribution": {"by_session": {"asia": {"trades": 3, "net_pnl": 12.5, "win_rate": 0.67}, …},
  ///                     "by_volatility": {"low": …, "normal": …}, "by_trend": {"up": …, "range": …}}
  private static func tearsheetKeys(_ t: Tearsheet, _ w: inout JSONWriter) {
    key("monthly_returns", &w)
    objects(t.monthlyReturns, &w) { m, w in
      w.field("month", first: true) { $0.string(m.period) }
      w.field("return") { $0.number(m.value) }
    }
    key("yearly_returns", &w)
    objects(t.yearlyReturns, &w) { y, w in
      w.field("year", first: true) { $0.string(y.period) }
      w.field("return") { $0.number(y.value) }
    }
    key("rolling_sharpe", &w)
    w.raw("{")
    w.field("window_days", first: true) { $0.number(Double(Tearsheet.rollingWindow)) }
    w.field("points") { w in
      w.raw("[")
      for (i, p) in t.rollingSharpe.enumerated() {
        if i > 0 { w.raw(", ") }
        w.raw("[")
        w.time(p.time)
        w.raw(", ")
        w.number(p.value)
        w.raw("]")
      }
      w.raw("]")
    }
    w.raw("}")
    key("trade_durations", &w)
    objects(t.durations, &w) { d, w in
      w.field("duration", first: true) { $0.string(d.label) }
      w.field("trades") { $0.number(Double(d.trades)) }
    }
    key("exposure_by_hour", &w)
    numbers(t.exposureByHour, &w)
    key("exposure_by_weekday", &w)
    numbers(t.exposureByWeekday, &w)
    key("benchmark", &w)
    if let b = t.benchmark {
      w.raw("{")
      w.field("symbols", first: true) { w in
        w.raw("[")
        for (i, s) in b.symbols.enumerated() {
          if i > 0 { w.raw(", ") }
          w.string(s)
        }
        w.raw("]")
      }
      w.field("return") { $0.number(b.totalReturn) }
      w.field("alpha") { $0.number(b.alpha) }
      w.field("beta") { $0.number(b.beta) }
      w.field("correlation") { $0.number(b.correlation) }
      w.field("days") { $0.number(Double(b.days)) }
      w.raw("}")
    } else {
      w.raw("null")
    }
    key("attribution", &w)
    w.raw("{")
    for (g, group) in t.attribution.groups.enumerated() {
      w.raw(g == 0 ? "\n    " : ",\n    ")
      w.string(group.key)
      w.raw(": {")
      for (i, row) in group.rows.enumerated() {
        w.raw(i == 0 ? "\n      " : ",\n      ")
        w.string(row.label)
        w.raw(": {")
        w.field("trades", first: true) { $0.number(Double(row.cell.trades)) }
        w.field("net_pnl") { $0.number(row.cell.netPnl) }
        w.field("win_rate") { $0.number(row.cell.winRate) }
        w.raw("}")
      }
      w.raw(group.rows.isEmpty ? "}" : "\n    }")
    }
    w.raw("\n  }")
  }

  /// A flat array of numbers (null for nil) on one line.
  private static func numbers(_ values: [Double?], _ w: inout JSONWriter) {
    w.raw("[")
    for (i, v) in values.enumerated() {
      if i > 0 { w.raw(", ") }
      w.number(v)
    }
    w.raw("]")
  }

  /// An exit reason's raw value as a JSON string, without building a String per trade.
  static func quoted(_ reason: ExitReason) -> StaticString {
    switch reason {
    case .stop: "\"stop\""
    case .take: "\"take\""
    case .trail: "\"trail\""
    case .signal: "\"signal\""
    case .liquidation: "\"liquidation\""
    case .endOfData: "\"end_of_data\""
    case .risk: "\"risk\""
    }
  }

  /// One trade object's fields.
  static func trade(_ t: Trade, _ w: inout JSONWriter) {
    w.field("symbol", first: true) { $0.string(t.symbol) }
    w.field("side") { $0.raw(t.side == .long ? "\"long\"" : "\"short\"") }
    w.field("entry_time") { $0.time(t.entryTime) }
    w.field("entry_price") { $0.number(t.entryPrice) }
    w.field("exit_time") { $0.time(t.exitTime) }
    w.field("exit_price") { $0.number(t.exitPrice) }
    w.field("qty") { $0.number(t.qty) }
    w.field("fees") { $0.number(t.fees) }
    w.field("spread") { $0.number(t.spreadCost) }
    w.field("slippage") { $0.number(t.slippageCost) }
    w.field("funding") { $0.number(t.funding) }
    w.field("pnl") { $0.number(t.pnl) }
    w.field("r") { $0.number(t.r) }
    w.field("mae") { $0.number(t.mae) }
    w.field("mfe") { $0.number(t.mfe) }
    w.field("exit_reason") { $0.raw(quoted(t.exitReason)) }
    w.field("exit_note") { w in if let n = t.exitNote { w.string(n) } else { w.raw("null") } }
    w.field("tag") { w in if let tag = t.tag { w.string(tag) } else { w.raw("null") } }
    w.field("entry_type") { $0.raw(t.entryType == .market ? "\"market\"" : "\"limit\"") }
    w.field("position") { $0.number(Double(t.position)) }
    w.field("partial") { $0.raw(t.partial ? "true" : "false") }
  }

  /// Fees at the maker rate (limit fills) and the rest (taker), and what became of the limit
  /// orders: the `orders` object.
  static func orders(_ r: BacktestResult, _ w: inout JSONWriter) {
    let o = r.limitOrders
    let fees = r.trades.reduce(0.0) { $0 + $1.fees }
    w.raw("{")
    for (i, (k, v)) in [
      ("fees_maker", o.makerFees), ("fees_taker", fees - o.makerFees),
      ("limit_placed", Double(o.placed)), ("limit_filled", Double(o.filled)),
      ("limit_expired", Double(o.expired)), ("limit_cancelled", Double(o.cancelled)),
    ].enumerated() {
      w.raw(i == 0 ? "\n    " : ",\n    ")
      w.string(k)
      w.raw(": ")
      w.number(v)
    }
    w.raw("\n  }")
  }

  /// Trade lists at least this long are written in two halves on two threads (the second core
  /// is idle once the simulation has ended); each half is the same text it would be in one pass.
  static let parallelTrades = 4_096

  /// The trades array: as `objects` would write it.
  static func trades(_ items: [Trade], _ w: inout JSONWriter) {
    guard items.count >= parallelTrades else { return objects(items, &w, trade) }
    let half = items.count / 2
    let second = ConcurrentTask { () -> JSONWriter in
      var tail = JSONWriter(capacity: (items.count - half) * bytesPerTrade)
      elements(items[half...], first: false, &tail, trade)
      return tail
    }
    w.raw("[")
    elements(items[..<half], first: true, &w, trade)
    w.append(second.wait())
    w.raw("\n  ]")
  }

  /// An array of objects, one per line, each written by `body`.
  static func objects<T>(_ items: [T], _ w: inout JSONWriter, _ body: (T, inout JSONWriter) -> Void)
  {
    w.raw("[")
    elements(items, first: true, &w, body)
    w.raw(items.isEmpty ? "]" : "\n  ]")
  }

  /// The elements of an array of objects, one per line, each written by `body`; `first` when
  /// these begin the array (no comma before the first of them). Parts written separately and
  /// joined read as one pass.
  static func elements<S: Sequence>(
    _ items: S, first: Bool, _ w: inout JSONWriter, _ body: (S.Element, inout JSONWriter) -> Void
  ) {
    var first = first
    for item in items {
      w.raw(first ? "\n    {" : ",\n    {")
      body(item, &w)
      w.raw("}")
      first = false
    }
  }

  /// The params as a JSON object (for the ledger).
  public static func params(_ params: [(name: String, value: ParamValue)]) -> String {
    var w = JSONWriter()
    value(.table(params.map { ($0.name, $0.value) }), &w)
    return w.text
  }

  /// The metrics as a JSON object (for the ledger); with `reproduce`, that object under
  /// `"reproduce"` after them (readers of the metrics look up their keys and skip it).
  public static func metrics(_ m: Metrics, reproduce: Reproduce? = nil) -> String {
    var w = JSONWriter()
    w.raw("{")
    for (i, f) in m.fields.enumerated() {
      if i > 0 { w.raw(", ") }
      w.string(f.key)
      w.raw(": ")
      w.number(f.value)
    }
    if let reproduce {
      w.raw(", \"reproduce\": ")
      reproduce.write(&w)
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

/// Runs `body` on a thread of its own; `wait()` returns its result.
private final class ConcurrentTask<T>: @unchecked Sendable {
  private let body: () -> T
  private var result: T?
  private let done = DispatchSemaphore(value: 0)

  init(_ body: @escaping () -> T) {
    self.body = body
    let thread = Thread { [self] in
      result = self.body()
      done.signal()
    }
    thread.stackSize = 1 << 20
    thread.start()
  }

  func wait() -> T {
    done.wait()
    return result!
  }
}

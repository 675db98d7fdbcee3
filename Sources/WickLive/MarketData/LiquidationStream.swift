import Foundation
import WickCore
import WickData

/// One liquidation from an exchange's public stream: which side's position was closed, and its
/// notional (quantity × price, quote currency).
public struct LiquidationEvent: Sendable, Equatable {
  public var symbol: String
  public var time: Int64
  /// True when a long position was liquidated.
  public var long: Bool
  public var notional: Double
  public init(symbol: String, time: Int64, long: Bool, notional: Double) {
    self.symbol = symbol
    self.time = time
    self.long = long
    self.notional = notional
  }
}

/// How one exchange's public liquidation stream is addressed, subscribed and parsed.
public protocol LiquidationDialect: Sendable {
  func url(base: String, symbols: [String]) -> String
  func subscriptions(symbols: [String]) -> [String]
  var ping: String? { get }
  /// The liquidations in one text message (none for acks, pongs and unknown messages); a
  /// liquidation whose fields are not what the exchange documents is dropped and counted.
  func parse(_ text: String) -> (events: [LiquidationEvent], malformed: Int)
}

/// Bybit v5 `allLiquidation.{symbol}` on `/v5/public/linear`: `{"topic", "type": "snapshot",
/// "ts", "data": [{"T", "s", "S", "v", "p"}]}`, pushed every 500 ms; `S` is the side of the
/// liquidated *position* ("Buy": a long was liquidated).
public struct BybitLiquidations: LiquidationDialect {
  public init() {}
  public func url(base: String, symbols: [String]) -> String {
    trimmed(base) + "/v5/public/linear"
  }
  public func subscriptions(symbols: [String]) -> [String] {
    let topics = symbols.map { "\"allLiquidation.\($0)\"" }.joined(separator: ",")
    return ["{\"op\":\"subscribe\",\"args\":[\(topics)]}"]
  }
  public var ping: String? { "{\"op\":\"ping\"}" }

  public func parse(_ text: String) -> (events: [LiquidationEvent], malformed: Int) {
    guard let object = jsonObject(text), let topic = object["topic"] as? String,
      topic.hasPrefix("allLiquidation.")
    else { return ([], 0) }
    guard let data = object["data"] as? [[String: Any]] else { return ([], 1) }
    var events: [LiquidationEvent] = []
    var malformed = 0
    for d in data {
      guard let t = int64(d["T"]), let s = d["s"] as? String, let side = d["S"] as? String,
        side == "Buy" || side == "Sell", let v = double(d["v"]), let p = double(d["p"]),
        v >= 0, p > 0
      else {
        malformed += 1
        continue
      }
      events.append(LiquidationEvent(symbol: s, time: t, long: side == "Buy", notional: v * p))
    }
    return (events, malformed)
  }
}

/// Binance USDⓈ-M `<symbol>@forceOrder` under `/stream?streams=…`: `{"e": "forceOrder", "E",
/// "o": {"s", "S", "q", "p", "ap", "X", "l", "z", "T"}}`; `S` is the side of the liquidation
/// *order* ("SELL" closes a long). Binance pushes at most the latest liquidation per symbol each
/// second, so its counts and notionals are a lower bound (documented in docs/data.md).
public struct BinanceLiquidations: LiquidationDialect {
  public init() {}
  public func url(base: String, symbols: [String]) -> String {
    let streams = symbols.map { "\($0.lowercased())@forceOrder" }.joined(separator: "/")
    return trimmed(base) + "/stream?streams=" + streams
  }
  public func subscriptions(symbols: [String]) -> [String] { [] }
  public var ping: String? { nil }

  public func parse(_ text: String) -> (events: [LiquidationEvent], malformed: Int) {
    guard let object = jsonObject(text) else { return ([], 0) }
    let payload = (object["data"] as? [String: Any]) ?? object
    guard payload["e"] as? String == "forceOrder" else { return ([], 0) }
    guard let o = payload["o"] as? [String: Any], let s = o["s"] as? String,
      let side = o["S"] as? String, side == "BUY" || side == "SELL", let t = int64(o["T"]),
      let qty = double(o["z"]) ?? double(o["q"]),
      let price = double(o["ap"]).flatMap({ $0 > 0 ? $0 : nil }) ?? double(o["p"]),
      qty >= 0, price > 0
    else { return ([], 1) }
    return ([LiquidationEvent(symbol: s, time: t, long: side == "SELL", notional: qty * price)], 0)
  }
}

/// Per-minute liquidation buckets of a set of symbols, and the minutes the stream covered:
/// a minute counts as covered only when the stream was connected from its start until `grace`
/// after its end (a late push still lands in it). Pure and clock-driven, so tests replay it.
public struct LiquidationAggregator: Sendable {
  /// What one `flush` hands to the store for one symbol.
  public struct Span: Sendable, Equatable {
    public var symbol: String
    public var from: Int64
    public var to: Int64
    public var buckets: [LiquidationBucket]
  }

  public let symbols: [String]
  public var grace: Int64 = 3_000
  /// The first minute not yet flushed while connected; nil while disconnected.
  private var coveredFrom: Int64?
  private var buckets: [String: [Int64: LiquidationBucket]] = [:]
  public private(set) var malformed = 0
  public private(set) var ignored = 0

  public init(symbols: [String]) { self.symbols = symbols }

  static func minute(_ t: Int64) -> Int64 { t - ((t % 60_000) + 60_000) % 60_000 }

  /// Connected at `now`: coverage starts with the next whole minute.
  public mutating func connected(now: Int64) {
    let m = Self.minute(now)
    coveredFrom = m == now ? m : m + 60_000
  }

  /// Disconnected at `now`: closed minutes whose grace has passed are flushed, the rest of the
  /// coverage ends (a gap until the next connection), their buckets are dropped.
  public mutating func disconnected(now: Int64) -> [Span] {
    let spans = flush(now: now)
    coveredFrom = nil
    buckets = [:]
    return spans
  }

  public mutating func add(_ events: [LiquidationEvent], malformed bad: Int = 0) {
    malformed += bad
    for e in events {
      guard let from = coveredFrom, e.time >= from, symbols.contains(e.symbol) else {
        ignored += 1
        continue
      }
      let m = Self.minute(e.time)
      var b = buckets[e.symbol, default: [:]][m] ?? LiquidationBucket(time: m)
      b.count += 1
      if e.long { b.longNotional += e.notional } else { b.shortNotional += e.notional }
      buckets[e.symbol, default: [:]][m] = b
    }
  }

  /// The minutes that have closed, with their grace, by `now`: one span per symbol (possibly
  /// without buckets: a covered minute without liquidations is a recorded zero).
  public mutating func flush(now: Int64) -> [Span] { close(before: Self.minute(now - grace)) }

  /// The minutes before `end` (a candle's close), without waiting for their grace: a runner
  /// deciding at that close takes exactly what arrived by then, and the store gets the same
  /// numbers. A liquidation stamped before `end` that arrives later is ignored, never added to
  /// a minute already handed out.
  public mutating func close(before end: Int64) -> [Span] {
    guard let from = coveredFrom else { return [] }
    let to = Self.minute(end)
    guard to > from else { return [] }
    var spans: [Span] = []
    for s in symbols {
      var kept: [LiquidationBucket] = []
      var rest: [Int64: LiquidationBucket] = [:]
      for (m, b) in buckets[s] ?? [:] {
        if m < to { kept.append(b) } else { rest[m] = b }
      }
      buckets[s] = rest
      spans.append(Span(symbol: s, from: from, to: to, buckets: kept.sorted { $0.time < $1.time }))
    }
    coveredFrom = to
    return spans
  }
}

import Foundation
import WickCore
import WickData

/// One kline message from an exchange's public stream: the candle so far and whether the
/// exchange has marked it closed (`confirm` on Bybit, `x` on Binance).
public struct KlineUpdate: Sendable, Equatable {
  public var symbol: String
  public var candle: Candle
  public var confirmed: Bool
  /// The exchange's interval name as the message states it ("60", "1h"), when it does: a
  /// socket drops updates of an interval it did not subscribe to.
  public var interval: String?
  public init(symbol: String, candle: Candle, confirmed: Bool, interval: String? = nil) {
    self.symbol = symbol
    self.candle = candle
    self.confirmed = confirmed
    self.interval = interval
  }
}

/// How one exchange's public kline stream is addressed, subscribed and parsed.
public protocol KlineDialect: Sendable {
  /// The full WebSocket URL for `base` (e.g. `wss://stream.bybit.com`).
  func url(base: String, symbols: [String], timeframe: Timeframe) throws -> String
  /// Messages to send after connecting (subscriptions).
  func subscriptions(symbols: [String], timeframe: Timeframe) throws -> [String]
  /// The application-level ping, if the exchange wants one from the client.
  var ping: String? { get }
  /// The kline updates in one text message (none for acks, pongs and unknown messages).
  func parse(_ text: String) -> [KlineUpdate]
  /// The exchange's name of `timeframe` in its messages.
  func interval(_ timeframe: Timeframe) throws -> String
}

/// Bybit v5 public stream: `kline.{interval}.{symbol}` on `/v5/public/linear` (or `/spot`),
/// `{"op":"ping"}` every 20 s as Bybit asks.
public struct BybitKlines: KlineDialect {
  public static let mainnet = "wss://stream.bybit.com"
  public static let testnet = "wss://stream-testnet.bybit.com"
  public var category: BybitAPI.Category
  public init(category: BybitAPI.Category = .linear) { self.category = category }

  public func url(base: String, symbols: [String], timeframe: Timeframe) throws -> String {
    trimmed(base) + "/v5/public/" + category.rawValue
  }

  public func subscriptions(symbols: [String], timeframe: Timeframe) throws -> [String] {
    let interval = try BybitAPI.interval(timeframe)
    let topics = symbols.map { "\"kline.\(interval).\($0)\"" }.joined(separator: ",")
    return ["{\"op\":\"subscribe\",\"args\":[\(topics)]}"]
  }

  public var ping: String? { "{\"op\":\"ping\"}" }
  public func interval(_ timeframe: Timeframe) throws -> String {
    try BybitAPI.interval(timeframe)
  }

  public func parse(_ text: String) -> [KlineUpdate] {
    guard let object = jsonObject(text), let topic = object["topic"] as? String,
      topic.hasPrefix("kline."), let data = object["data"] as? [[String: Any]]
    else { return [] }
    let symbol = String(topic.split(separator: ".").last ?? "")
    return data.compactMap { k in
      guard let start = int64(k["start"]), let o = double(k["open"]), let h = double(k["high"]),
        let l = double(k["low"]), let c = double(k["close"]), let v = double(k["volume"]),
        let confirm = k["confirm"] as? Bool
      else { return nil }
      let candle = Candle(time: start, open: o, high: h, low: l, close: c, volume: v)
      guard candle.invalidReason == nil else { return nil }
      return KlineUpdate(
        symbol: symbol, candle: candle, confirmed: confirm,
        interval: (k["interval"] as? String)
          ?? topic.split(separator: ".").dropFirst().first.map(String.init))
    }
  }
}

/// Binance combined stream: `<symbol>@kline_<tf>` under `/stream?streams=…`; the server pings.
public struct BinanceKlines: KlineDialect {
  public static let mainnet = "wss://fstream.binance.com"
  /// USDⓈ-M testnet: a live testnet run's candles are the testnet's, where its orders fill.
  public static let testnet = "wss://stream.binancefuture.com"
  public static let spot = "wss://stream.binance.com:9443"
  public init() {}

  public func url(base: String, symbols: [String], timeframe: Timeframe) throws -> String {
    let tf = try BinanceAPI.interval(timeframe)
    let streams = symbols.map { "\($0.lowercased())@kline_\(tf)" }.joined(separator: "/")
    return trimmed(base) + "/stream?streams=" + streams
  }

  public func subscriptions(symbols: [String], timeframe: Timeframe) throws -> [String] { [] }
  public var ping: String? { nil }
  public func interval(_ timeframe: Timeframe) throws -> String {
    try BinanceAPI.interval(timeframe)
  }

  public func parse(_ text: String) -> [KlineUpdate] {
    guard let object = jsonObject(text) else { return [] }
    let payload = (object["data"] as? [String: Any]) ?? object
    guard payload["e"] as? String == "kline", let k = payload["k"] as? [String: Any],
      let symbol = k["s"] as? String, let start = int64(k["t"]), let o = double(k["o"]),
      let h = double(k["h"]), let l = double(k["l"]), let c = double(k["c"]),
      let v = double(k["v"]), let closed = k["x"] as? Bool
    else { return [] }
    let candle = Candle(time: start, open: o, high: h, low: l, close: c, volume: v)
    guard candle.invalidReason == nil else { return [] }
    return [
      KlineUpdate(symbol: symbol, candle: candle, confirmed: closed, interval: k["i"] as? String)
    ]
  }
}

func trimmed(_ base: String) -> String {
  base.hasSuffix("/") ? String(base.dropLast()) : base
}

func jsonObject(_ text: String) -> [String: Any]? {
  (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

/// Exchanges send prices as strings and times as numbers (or strings): accept both.
func double(_ any: Any?) -> Double? {
  if let s = any as? String { return Double(s).flatMap { $0.isFinite ? $0 : nil } }
  if let n = any as? NSNumber { return n.doubleValue }
  return nil
}

func int64(_ any: Any?) -> Int64? {
  if let n = any as? NSNumber { return n.int64Value }
  if let s = any as? String { return Int64(s) }
  return nil
}

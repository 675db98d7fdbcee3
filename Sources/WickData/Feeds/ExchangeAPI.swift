import Foundation
import WickCore

/// What differs between exchanges: URLs, the shape of their answers, page sizes. Everything
/// exchange-specific stays behind this protocol; the fetch loop is shared.
public protocol ExchangeAPI: Sendable {
  /// The exchange name under which candles are stored in the cache.
  var storageName: String { get }
  var baseURL: String { get }
  /// Candles per kline request.
  var klineLimit: Int { get }
  /// Rates per funding request (0 when the market has no funding).
  var fundingLimit: Int { get }
  /// Requests per second the exchange allows for these endpoints.
  var requestsPerSecond: Double { get }
  func klinesURL(symbol: String, timeframe: Timeframe, start: Int64, end: Int64, limit: Int) throws
    -> String
  func parseKlines(_ doc: JSONDocument) throws -> [Candle]
  func fundingURL(symbol: String, start: Int64, end: Int64, limit: Int) -> String
  func parseFunding(_ doc: JSONDocument) throws -> [FundingRate]
  var serverTimeURL: String { get }
  func parseServerTime(_ doc: JSONDocument) throws -> Int64
  /// A 200 answer that means "rate limited, retry" (Bybit's retCode 10006), if it is one.
  func retryableBody(_ response: HTTPResponse) -> String?

  // Open interest and long/short ratios (ExchangeAPI+Metrics.swift).

  /// The sampling intervals the exchange offers for `metric`, finest first (empty: none).
  func metricIntervals(_ metric: MarketMetric) -> [Timeframe]
  /// Samples per request.
  func metricLimit(_ metric: MarketMetric) -> Int
  func metricURL(
    _ metric: MarketMetric, symbol: String, interval: Timeframe, start: Int64, end: Int64,
    limit: Int
  ) throws -> String
  func parseMetric(_ metric: MarketMetric, _ doc: JSONDocument) throws -> [MetricSample]
  /// How far back the exchange keeps these series, in ms (nil: all of it).
  var metricHorizon: Int64? { get }
  /// Requests per second the exchange allows for these endpoints.
  var metricRequestsPerSecond: Double { get }
}

/// A field or shape the exchange did not send as documented.
struct ShapeError: Error {
  var reason: String
}

/// Bybit v5 market endpoints (linear perpetuals or spot).
public struct BybitAPI: ExchangeAPI {
  public enum Category: String, Sendable { case linear, spot }
  public let category: Category
  public let baseURL: String
  public static let mainnet = "https://api.bybit.com"
  public static let testnet = "https://api-testnet.bybit.com"

  public init(category: Category = .linear, baseURL: String? = nil, testnet: Bool = false) {
    self.category = category
    self.baseURL = baseURL ?? (testnet ? Self.testnet : Self.mainnet)
  }

  public var storageName: String { category == .linear ? "bybit" : "bybit-spot" }
  public var klineLimit: Int { 1000 }
  public var fundingLimit: Int { category == .linear ? 200 : 0 }
  public var requestsPerSecond: Double { 10 }

  public static func interval(_ tf: Timeframe) throws -> String {
    let minutes = tf.milliseconds / 60_000
    switch tf.milliseconds {
    case 86_400_000: return "D"
    case Timeframe.week.milliseconds: return "W"  // Monday-open weeks, as Wick's 1w
    default:
      guard tf.milliseconds % 60_000 == 0,
        [1, 3, 5, 15, 30, 60, 120, 240, 360, 720].contains(minutes)
      else {
        throw WickError.invalidArgument(
          "Bybit has no \(tf) klines (1m 3m 5m 15m 30m 1h 2h 4h 6h 12h 1d 1w)")
      }
      return String(minutes)
    }
  }

  public func klinesURL(symbol: String, timeframe: Timeframe, start: Int64, end: Int64, limit: Int)
    throws -> String
  {
    "\(baseURL)/v5/market/kline?category=\(category.rawValue)&symbol=\(symbol)&interval=\(try Self.interval(timeframe))&start=\(start)&end=\(end)&limit=\(limit)"
  }

  /// `result.list`: newest first, every field a string: [start, open, high, low, close, volume, turnover].
  public func parseKlines(_ doc: JSONDocument) throws -> [Candle] {
    guard case .array(let rows)? = try list(doc) else {
      throw ShapeError(reason: "result.list is not an array")
    }
    return try rows.map { row in
      guard case .array(let f) = row, f.count >= 6, let t = doc.int64(f[0]),
        let o = doc.double(f[1]), let h = doc.double(f[2]),
        let l = doc.double(f[3]), let c = doc.double(f[4]), let v = doc.double(f[5])
      else {
        throw ShapeError(
          reason:
            "a kline is not [start, open, high, low, close, volume, turnover] of numeric strings")
      }
      return Candle(time: t, open: o, high: h, low: l, close: c, volume: v)
    }
  }

  public func fundingURL(symbol: String, start: Int64, end: Int64, limit: Int) -> String {
    "\(baseURL)/v5/market/funding/history?category=\(category.rawValue)&symbol=\(symbol)&startTime=\(start)&endTime=\(end)&limit=\(limit)"
  }

  public func parseFunding(_ doc: JSONDocument) throws -> [FundingRate] {
    guard case .array(let rows)? = try list(doc) else {
      throw ShapeError(reason: "result.list is not an array")
    }
    return try rows.map { row in
      guard let r = row.member(doc, "fundingRate").flatMap(doc.double),
        let t = row.member(doc, "fundingRateTimestamp").flatMap(doc.int64)
      else { throw ShapeError(reason: "a funding entry lacks fundingRate or fundingRateTimestamp") }
      return FundingRate(time: t, rate: r)
    }
  }

  public var serverTimeURL: String { "\(baseURL)/v5/market/time" }

  /// `result.timeNano` (ns), else the answer's `time` (ms), else `result.timeSecond`.
  public func parseServerTime(_ doc: JSONDocument) throws -> Int64 {
    let result = try self.result(doc)
    if let ns = result?.member(doc, "timeNano").flatMap(doc.double), ns > 0 {
      return Int64(ns / 1_000_000)
    }
    if let ms = doc.member(doc.root, "time").flatMap(doc.int64) { return ms }
    guard let s = result?.member(doc, "timeSecond").flatMap(doc.int64) else {
      throw ShapeError(reason: "no time in the answer")
    }
    return s * 1000
  }

  /// `result.list` of a successful answer.
  func list(_ doc: JSONDocument) throws -> JSONDocument.Value? {
    try result(doc)?.member(doc, "list")
  }

  /// `retCode` 0 is success; anything else is an error with its message.
  func result(_ doc: JSONDocument) throws -> JSONDocument.Value? {
    guard let code = doc.member(doc.root, "retCode").flatMap(doc.int64) else {
      throw ShapeError(reason: "no retCode")
    }
    guard code == 0 else {
      let message =
        doc.member(doc.root, "retMsg").map { v -> String in
          if case .string(let r) = v { doc.text(r) } else { "" }
        } ?? ""
      throw WickError.exchange("Bybit retCode \(code): \(message)")
    }
    return doc.member(doc.root, "result")
  }

  public func retryableBody(_ response: HTTPResponse) -> String? {
    // 10006: too many visits; 10016: server error. Cheap check before a full parse.
    let head = String(decoding: response.body.prefix(64), as: UTF8.self)
    return head.contains("\"retCode\":10006") || head.contains("\"retCode\":10016")
      ? "Bybit \(head.prefix(40))" : nil
  }
}

/// Binance spot (`/api/v3`) or USDT-M futures (`/fapi/v1`) market endpoints.
public struct BinanceAPI: ExchangeAPI {
  public enum Market: String, Sendable { case spot, futures }
  public let market: Market
  public let baseURL: String

  public init(market: Market = .futures, baseURL: String? = nil, testnet: Bool = false) {
    self.market = market
    self.baseURL =
      baseURL
      ?? (market == .futures
        ? (testnet ? "https://testnet.binancefuture.com" : "https://fapi.binance.com")
        : (testnet ? "https://testnet.binance.vision" : "https://api.binance.com"))
  }

  public var storageName: String { market == .futures ? "binance" : "binance-spot" }
  public var klineLimit: Int { market == .futures ? 1500 : 1000 }
  public var fundingLimit: Int { market == .futures ? 1000 : 0 }
  public var requestsPerSecond: Double { 20 }
  private var prefix: String { market == .futures ? "/fapi/v1" : "/api/v3" }

  public static func interval(_ tf: Timeframe) throws -> String {
    let name = tf.description
    guard
      ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w"]
        .contains(name)
    else {
      throw WickError.invalidArgument("Binance has no \(tf) klines")
    }
    return name
  }

  public func klinesURL(symbol: String, timeframe: Timeframe, start: Int64, end: Int64, limit: Int)
    throws -> String
  {
    "\(baseURL)\(prefix)/klines?symbol=\(symbol)&interval=\(try Self.interval(timeframe))&startTime=\(start)&endTime=\(end)&limit=\(limit)"
  }

  /// Oldest first: [openTime, "open", "high", "low", "close", "volume", closeTime, ...].
  public func parseKlines(_ doc: JSONDocument) throws -> [Candle] {
    guard case .array(let rows) = doc.root else {
      throw ShapeError(reason: "expected an array of klines")
    }
    return try rows.map { row in
      guard case .array(let f) = row, f.count >= 6, case .number = f[0], let t = doc.int64(f[0]),
        let o = doc.double(f[1]),
        let h = doc.double(f[2]), let l = doc.double(f[3]), let c = doc.double(f[4]),
        let v = doc.double(f[5])
      else {
        throw ShapeError(reason: "a kline is not [openTime, open, high, low, close, volume, ...]")
      }
      return Candle(time: t, open: o, high: h, low: l, close: c, volume: v)
    }
  }

  public func fundingURL(symbol: String, start: Int64, end: Int64, limit: Int) -> String {
    "\(baseURL)/fapi/v1/fundingRate?symbol=\(symbol)&startTime=\(start)&endTime=\(end)&limit=\(limit)"
  }

  public func parseFunding(_ doc: JSONDocument) throws -> [FundingRate] {
    guard case .array(let rows) = doc.root else {
      throw ShapeError(reason: "expected an array of funding rates")
    }
    return try rows.map { row in
      guard let r = row.member(doc, "fundingRate").flatMap(doc.double),
        let t = row.member(doc, "fundingTime").flatMap(doc.int64)
      else { throw ShapeError(reason: "a funding entry lacks fundingRate or fundingTime") }
      return FundingRate(time: t, rate: r)
    }
  }

  public var serverTimeURL: String {
    market == .futures ? "\(baseURL)/fapi/v1/time" : "\(baseURL)/api/v3/time"
  }

  public func parseServerTime(_ doc: JSONDocument) throws -> Int64 {
    guard let t = doc.member(doc.root, "serverTime").flatMap(doc.int64) else {
      throw ShapeError(reason: "no serverTime")
    }
    return t
  }

  public func retryableBody(_ response: HTTPResponse) -> String? { nil }
}

extension JSONDocument.Value {
  func member(_ doc: JSONDocument, _ key: String) -> JSONDocument.Value? { doc.member(self, key) }
}

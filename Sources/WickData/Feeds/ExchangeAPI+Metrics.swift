import WickCore

/// Open interest and the account long/short ratio, as each exchange documents them.
///
/// - Bybit `GET /v5/market/open-interest?category&symbol&intervalTime&startTime&endTime&limit&cursor`:
///   `intervalTime` 5min 15min 30min 1h 4h 1d, `limit` [1, 200]; `result.list` newest first of
///   `{openInterest, timestamp}` strings, with `nextPageCursor`.
/// - Bybit `GET /v5/market/account-ratio?category&symbol&period&startTime&endTime&limit&cursor`:
///   the same periods, `limit` [1, 500]; `{symbol, buyRatio, sellRatio, timestamp}` strings, the
///   ratio being buyRatio / sellRatio (long accounts over short accounts).
/// - Binance `GET /futures/data/openInterestHist` and `/futures/data/globalLongShortAccountRatio`
///   `?symbol&period&limit&startTime&endTime`: `period` 5m 15m 30m 1h 2h 4h 6h 12h 1d, `limit`
///   max 500; `{sumOpenInterest, timestamp}` and `{longShortRatio, timestamp}` (the timestamp a
///   number), oldest first. "Only the data of the latest 30 days is available."
///
/// Wick pages these by narrowing `startTime`/`endTime` (`RangeCoverage`) rather than following
/// Bybit's opaque cursor: every request then stands alone, so a retried or resumed fetch asks
/// for exactly what it lacks, and both exchanges share the candle fetch's paging.
extension BybitAPI {
  public func metricIntervals(_ metric: MarketMetric) -> [Timeframe] {
    guard category == .linear else { return [] }
    return [5, 15, 30, 60, 240, 1440].map { Timeframe(milliseconds: Int64($0) * 60_000) }
  }

  public func metricLimit(_ metric: MarketMetric) -> Int { metric == .openInterest ? 200 : 500 }

  public var metricHorizon: Int64? { nil }
  public var metricRequestsPerSecond: Double { requestsPerSecond }

  static func metricInterval(_ tf: Timeframe) -> String {
    let minutes = tf.milliseconds / 60_000
    switch minutes {
    case 1440: return "1d"
    case 60, 240: return "\(minutes / 60)h"
    default: return "\(minutes)min"
    }
  }

  public func metricURL(
    _ metric: MarketMetric, symbol: String, interval: Timeframe, start: Int64, end: Int64,
    limit: Int
  ) throws -> String {
    let name = Self.metricInterval(interval)
    switch metric {
    case .openInterest:
      return
        "\(baseURL)/v5/market/open-interest?category=\(category.rawValue)&symbol=\(symbol)&intervalTime=\(name)&startTime=\(start)&endTime=\(end)&limit=\(limit)"
    case .longShortRatio:
      return
        "\(baseURL)/v5/market/account-ratio?category=\(category.rawValue)&symbol=\(symbol)&period=\(name)&startTime=\(start)&endTime=\(end)&limit=\(limit)"
    }
  }

  public func parseMetric(_ metric: MarketMetric, _ doc: JSONDocument) throws -> [MetricSample] {
    guard case .array(let rows)? = try list(doc) else {
      throw ShapeError(reason: "result.list is not an array")
    }
    return try rows.map { row in
      guard let t = row.member(doc, "timestamp").flatMap(doc.int64) else {
        throw ShapeError(reason: "a \(metric) entry has no numeric timestamp")
      }
      switch metric {
      case .openInterest:
        guard let v = row.member(doc, "openInterest").flatMap(doc.double) else {
          throw ShapeError(reason: "an open interest entry has no numeric openInterest")
        }
        return MetricSample(time: t, value: v)
      case .longShortRatio:
        guard let buy = row.member(doc, "buyRatio").flatMap(doc.double),
          let sell = row.member(doc, "sellRatio").flatMap(doc.double)
        else { throw ShapeError(reason: "an account ratio entry lacks buyRatio or sellRatio") }
        guard sell > 0, buy >= 0 else {
          throw ShapeError(
            reason: "account ratio at \(UTCTime.iso(t)) has buyRatio \(buy), sellRatio \(sell)")
        }
        return MetricSample(time: t, value: buy / sell)
      }
    }
  }
}

extension BinanceAPI {
  public func metricIntervals(_ metric: MarketMetric) -> [Timeframe] {
    guard market == .futures else { return [] }
    return [5, 15, 30, 60, 120, 240, 360, 720, 1440].map {
      Timeframe(milliseconds: Int64($0) * 60_000)
    }
  }

  public func metricLimit(_ metric: MarketMetric) -> Int { 500 }

  /// 30 days: older samples are gone from these endpoints.
  public var metricHorizon: Int64? { 30 * 86_400_000 }

  /// The `/futures/data` endpoints allow 1000 requests per 5 minutes per IP.
  public var metricRequestsPerSecond: Double { 3 }

  public func metricURL(
    _ metric: MarketMetric, symbol: String, interval: Timeframe, start: Int64, end: Int64,
    limit: Int
  ) throws -> String {
    let path = metric == .openInterest ? "openInterestHist" : "globalLongShortAccountRatio"
    return
      "\(baseURL)/futures/data/\(path)?symbol=\(symbol)&period=\(try Self.interval(interval))&startTime=\(start)&endTime=\(end)&limit=\(limit)"
  }

  public func parseMetric(_ metric: MarketMetric, _ doc: JSONDocument) throws -> [MetricSample] {
    guard case .array(let rows) = doc.root else {
      throw ShapeError(reason: "expected an array of \(metric) entries")
    }
    let field = metric == .openInterest ? "sumOpenInterest" : "longShortRatio"
    return try rows.map { row in
      guard let t = row.member(doc, "timestamp").flatMap(doc.int64),
        let v = row.member(doc, field).flatMap(doc.double)
      else { throw ShapeError(reason: "a \(metric) entry lacks \(field) or timestamp") }
      return MetricSample(time: t, value: v)
    }
  }
}

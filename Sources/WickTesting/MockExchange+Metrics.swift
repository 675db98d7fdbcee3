import WickCore

/// Open interest and long/short ratio endpoints, as the exchanges document them:
///
/// - Bybit `GET /v5/market/open-interest?category&symbol&intervalTime&startTime&endTime&limit&cursor`
///   (`intervalTime` 5min 15min 30min 1h 4h 1d, `limit` [1, 200], default 50) and
///   `GET /v5/market/account-ratio?...&period&...` (the same periods, `limit` [1, 500]):
///   `result.list` newest first, every field a string, and `result.nextPageCursor`.
/// - Binance `GET /futures/data/openInterestHist` and `/futures/data/globalLongShortAccountRatio`
///   `?symbol&period&limit&startTime&endTime` (`period` 5m 15m 30m 1h 2h 4h 6h 12h 1d, `limit`
///   default 30, max 500): oldest first from `startTime`, the timestamp a number. "Only the data
///   of the latest 30 days is available": set `metricHorizon`, and a `startTime` older than it
///   is refused with HTTP 400, as a hostile reading of that sentence.
///
/// Samples are served at the interval asked for: those of `openInterest` / `longShortRatio`
/// whose time lies on that interval's grid and that the exchange's clock has reached.
extension MockExchange {
  static let bybitMetricPeriods: [String: Int64] = [
    "5min": 5, "15min": 15, "30min": 30, "1h": 60, "4h": 240, "1d": 1440,
  ]
  static let binanceMetricPeriods: [String: Int64] = [
    "5m": 5, "15m": 15, "30m": 30, "1h": 60, "2h": 120, "4h": 240, "6h": 360, "12h": 720,
    "1d": 1440,
  ]

  /// The samples of `metric` on the `interval` grid in `[start, end]` settled by `now`, the
  /// newest or the oldest `limit` of them, and whether more remain in the range.
  func metricPage(
    _ metric: MarketMetric, interval: Int64, start: Int64, end: Int64, limit: Int, newest: Bool,
    _ r: Request
  ) -> (rows: [MetricSample], more: Bool) {
    let all = metric == .openInterest ? openInterest : longShortRatio
    let horizon = metricHorizon.map { r.now - $0 } ?? Int64.min
    let inRange = all.filter {
      $0.time >= max(start, horizon) && $0.time <= min(end, r.now) && $0.time % interval == 0
    }.sorted { $0.time < $1.time }
    let n = rowsPerPage(limit, r)
    let page = newest ? Array(inRange.suffix(n)) : Array(inRange.prefix(n))
    return (rows(page, r), inRange.count > page.count)
  }

  func bybitMetric(_ path: String, _ r: Request, period: String?) -> Answer {
    if case .retCode(let code, let message)? = r.fault { return bybitError(code, message, r) }
    let metric: MarketMetric = path.hasSuffix("open-interest") ? .openInterest : .longShortRatio
    guard let name = period, let minutes = Self.bybitMetricPeriods[name] else {
      return bybitError(
        10001, "params error: \(metric == .openInterest ? "intervalTime" : "period") invalid", r)
    }
    let limit = r.query["limit"] ?? 50
    let maxLimit: Int64 = metric == .openInterest ? 200 : 500
    guard (1...maxLimit).contains(limit) else {
      return bybitError(10001, "params error: limit must be in [1, \(maxLimit)]", r)
    }
    let (page, more) = metricPage(
      metric, interval: minutes * 60_000, start: r.query["startTime"] ?? 0,
      end: r.query["endTime"] ?? Int64.max, limit: Int(limit), newest: true, r)
    let wrong: Bool = { if case .wrongTypes? = r.fault { true } else { false } }()
    let list = ordered(page, newestFirst: newestFirst(documented: true, r)) { $0.time }
      .enumerated().map { i, s -> String in
        let value = wrong && i == 0 ? "{\"x\":1}" : "\"\(s.value)\""
        if metric == .openInterest {
          return "{\"openInterest\":\(value),\"timestamp\":\"\(s.time)\"}"
        }
        // The ratio as the exchange splits it: shares of accounts long and short.
        let buy = s.value / (1 + s.value)
        return
          "{\"symbol\":\"BTCUSDT\",\"buyRatio\":\(wrong && i == 0 ? value : "\"\(buy)\""),\"sellRatio\":\"\(1 - buy)\",\"timestamp\":\"\(s.time)\"}"
      }
    let cursor = more ? "lastid%3D\(page.first?.time ?? 0)" : ""
    return bybitList(
      list, extra: "\"symbol\":\"BTCUSDT\",\"nextPageCursor\":\"\(cursor)\",", r)
  }

  func binanceMetric(_ path: String, _ r: Request, period: String?) -> Answer {
    let metric: MarketMetric = path.hasSuffix("openInterestHist") ? .openInterest : .longShortRatio
    guard let name = period, let minutes = Self.binanceMetricPeriods[name] else {
      return Answer(400, "{\"code\":-1120,\"msg\":\"Invalid interval.\"}")
    }
    let limit = r.query["limit"] ?? 30
    guard (1...500).contains(limit) else {
      return Answer(
        400, "{\"code\":-1130,\"msg\":\"Data sent for parameter 'limit' is not valid.\"}")
    }
    let start = r.query["startTime"]
    if let start, let horizon = metricHorizon, start < r.now - horizon {
      return Answer(
        400, "{\"code\":-1130,\"msg\":\"Data sent for parameter 'startTime' is not valid.\"}")
    }
    let (page, _) = metricPage(
      metric, interval: minutes * 60_000, start: start ?? 0,
      end: r.query["endTime"] ?? Int64.max, limit: Int(limit), newest: start == nil, r)
    let wrong: Bool = { if case .wrongTypes? = r.fault { true } else { false } }()
    let list = ordered(page, newestFirst: newestFirst(documented: false, r)) { $0.time }
      .enumerated().map { i, s -> String in
        let value = wrong && i == 0 ? "{\"x\":1}" : "\"\(s.value)\""
        if metric == .openInterest {
          return
            "{\"symbol\":\"BTCUSDT\",\"sumOpenInterest\":\(value),\"sumOpenInterestValue\":\"\(s.value * 100)\",\"timestamp\":\(s.time)}"
        }
        let long = s.value / (1 + s.value)
        return
          "{\"symbol\":\"BTCUSDT\",\"longAccount\":\"\(long)\",\"longShortRatio\":\(value),\"shortAccount\":\"\(1 - long)\",\"timestamp\":\(s.time)}"
      }
    return Answer(200, "[\(list.joined(separator: ","))]")
  }
}

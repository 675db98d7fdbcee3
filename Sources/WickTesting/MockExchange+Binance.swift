import WickCore

/// Binance market endpoints as https://developers.binance.com/docs/ documents them:
///
/// - `GET /api/v3/time`, `GET /fapi/v1/time`: `{"serverTime": ms}`.
/// - `GET /api/v3/klines` (spot, `limit` default 500, max 1000) and `GET /fapi/v1/klines`
///   (USDT-M futures, max 1500), `symbol&interval&startTime&endTime&limit`: oldest first from
///   `startTime`, up to `limit` candles; without `startTime` the most recent ones. Each row is
///   `[openTime, "open", "high", "low", "close", "volume", closeTime, "quoteVolume", trades,
///   "takerBase", "takerQuote", "0"]`; the current, unfinished candle is listed too. A `limit`
///   out of range is HTTP 400 with code -1130. `X-MBX-USED-WEIGHT-1M` reports the weight used in
///   the current minute.
/// - `GET /fapi/v1/fundingRate?symbol&startTime&endTime&limit`: `limit` default 100, max 1000;
///   "if the number of data between startTime and endTime is larger than limit, return as
///   startTime + limit", oldest first.
extension MockExchange {
  /// A klines row: `[openTime, "open", "high", "low", "close", "volume", closeTime,
  /// "quoteVolume", trades, "takerBase", "takerQuote", "0"]`.
  func binanceRow(_ c: Candle, open: String) -> String {
    "[\(c.time),\(open),\"\(c.high)\",\"\(c.low)\",\"\(c.close)\",\"\(c.volume)\",\(c.time + timeframe.milliseconds - 1),\"\(c.volume * c.close)\",10,\"0\",\"0\",\"0\"]"
  }

  func binance(_ path: String, _ r: Request) -> Answer {
    switch path {
    case "/api/v3/time", "/fapi/v1/time":
      return Answer(200, "{\"serverTime\":\(r.now)}")
    case "/api/v3/klines", "/fapi/v1/klines":
      let limit = r.query["limit"] ?? 500
      guard (1...(path.hasPrefix("/fapi") ? 1500 : 1000)).contains(limit) else {
        return invalidLimit()
      }
      let start = r.query["startTime"]
      let page = klines(
        start: start ?? 0, end: r.query["endTime"] ?? Int64.max, limit: Int(limit),
        newest: start == nil, r)
      let rows = listed(page, newestFirst: false, r, format: .binance, row: binanceRow)
      var weight = 10
      if case .weightUsed(let used)? = r.fault { weight = used }
      return Answer(
        200, "[\(rows.joined(separator: ","))]", headers: [("X-MBX-USED-WEIGHT-1M", "\(weight)")])
    case "/fapi/v1/fundingRate":
      let limit = r.query["limit"] ?? 100
      guard (1...1000).contains(limit) else { return invalidLimit() }
      let start = r.query["startTime"]
      let page = fundingRates(
        start: start ?? 0, end: r.query["endTime"] ?? Int64.max, limit: Int(limit),
        newest: start == nil, r)
      let rows = ordered(page, newestFirst: newestFirst(documented: false, r)) { $0.time }.map {
        "{\"symbol\":\"BTCUSDT\",\"fundingRate\":\"\($0.rate)\",\"fundingTime\":\($0.time),\"markPrice\":\"1\"}"
      }
      return Answer(200, "[\(rows.joined(separator: ","))]")
    default:
      return Answer(404, "{\"code\":-1,\"msg\":\"not found\"}")
    }
  }

  private func invalidLimit() -> Answer {
    Answer(400, "{\"code\":-1130,\"msg\":\"Data sent for parameter 'limit' is not valid.\"}")
  }
}

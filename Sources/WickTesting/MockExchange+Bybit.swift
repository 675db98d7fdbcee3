import WickCore

/// Bybit v5 market endpoints as https://bybit-exchange.github.io/docs/v5/ documents them:
///
/// - `GET /v5/market/time`: `result.timeSecond`, `result.timeNano` and the top-level `time` (ms).
/// - `GET /v5/market/kline?category&symbol&interval&start&end&limit`: `limit` is [1, 1000],
///   default 200. `result.list` is "sorted in reverse by startTime": the newest `limit` candles of
///   `[start, end]`, newest first, every field a string, the forming candle included ("close
///   price is the last traded price when the candle is not closed"). A page may hold fewer rows
///   than `limit` (`pageCap`, `.shortPage`).
/// - `GET /v5/market/funding/history?category&symbol&startTime&endTime&limit`: `limit` is
///   [1, 200], default 200; newest first; "passing only startTime returns an error".
/// - Errors are HTTP 200 with a non-zero `retCode` (10001 params error, 10006 too many visits);
///   `X-Bapi-Limit-Status` / `X-Bapi-Limit-Reset-Timestamp` report the quota left and when it
///   resets, on the exchange's clock.
extension MockExchange {
  /// A `/v5/market/kline` row: `[startTime, open, high, low, close, volume, turnover]`, strings.
  func bybitRow(_ c: Candle, open: String) -> String {
    "[\"\(c.time)\",\(open),\"\(c.high)\",\"\(c.low)\",\"\(c.close)\",\"\(c.volume)\",\"\(c.volume * c.close)\"]"
  }

  func bybit(_ path: String, _ r: Request) -> Answer {
    if case .retCode(let code, let message)? = r.fault { return bybitError(code, message, r) }
    switch path {
    case "/v5/market/time":
      return Answer(
        200,
        "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"timeSecond\":\"\(r.now / 1000)\",\"timeNano\":\"\(r.now)000000\"},\"retExtInfo\":{},\"time\":\(r.now)}"
      )
    case "/v5/market/kline":
      let limit = r.query["limit"] ?? 200
      guard (1...1000).contains(limit) else {
        return bybitError(10001, "params error: limit must be in [1, 1000]", r)
      }
      let page = klines(
        start: r.query["start"] ?? 0, end: r.query["end"] ?? Int64.max, limit: Int(limit),
        newest: true, r)
      let rows = listed(page, newestFirst: true, r, format: .bybit, row: bybitRow)
      return bybitList(rows, extra: "\"symbol\":\"BTCUSDT\",", r)
    case "/v5/market/funding/history":
      if r.query["startTime"] != nil && r.query["endTime"] == nil {
        return bybitError(10001, "params error: endTime is required with startTime", r)
      }
      let limit = r.query["limit"] ?? 200
      guard (1...200).contains(limit) else {
        return bybitError(10001, "params error: limit must be in [1, 200]", r)
      }
      let page = fundingRates(
        start: r.query["startTime"] ?? 0, end: r.query["endTime"] ?? Int64.max, limit: Int(limit),
        newest: true, r)
      let rows = ordered(page, newestFirst: newestFirst(documented: true, r)) { $0.time }.map {
        "{\"symbol\":\"BTCUSDT\",\"fundingRate\":\"\($0.rate)\",\"fundingRateTimestamp\":\"\($0.time)\"}"
      }
      return bybitList(rows, extra: "", r)
    default:
      return Answer(404, "{\"msg\":\"not found\"}")
    }
  }

  func bybitList(_ rows: [String], extra: String, _ r: Request) -> Answer {
    var left = 99
    var reset = r.now + 1_000
    if case .quotaExhausted(let resetIn)? = r.fault {
      left = 0
      reset = r.now + resetIn
    }
    return Answer(
      200,
      "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\(extra)\"category\":\"linear\",\"list\":[\(rows.joined(separator: ","))]},\"retExtInfo\":{},\"time\":\(r.now)}",
      headers: [
        ("X-Bapi-Limit", "100"), ("X-Bapi-Limit-Status", "\(left)"),
        ("X-Bapi-Limit-Reset-Timestamp", "\(reset)"),
      ])
  }

  func bybitError(_ code: Int, _ message: String, _ r: Request) -> Answer {
    Answer(
      200,
      "{\"retCode\":\(code),\"retMsg\":\"\(message)\",\"result\":{},\"retExtInfo\":{},\"time\":\(r.now)}"
    )
  }
}

/// `rows` sorted newest or oldest first by `time`.
func ordered<Row>(_ rows: [Row], newestFirst: Bool, time: (Row) -> Int64) -> [Row] {
  rows.sorted { newestFirst ? time($0) > time($1) : time($0) < time($1) }
}

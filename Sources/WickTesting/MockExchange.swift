import Foundation
import WickCore

#if canImport(Glibc)
  import Glibc
#endif

/// A loopback HTTP/1.1 server that answers like Bybit v5 and Binance market-data endpoints as
/// their documentation describes them (see `MockExchange+Bybit.swift` and
/// `MockExchange+Binance.swift`), serving the candles and funding rates it is given on its own
/// clock, and injecting faults on chosen requests. Every test starts its own on an ephemeral
/// port of 127.0.0.1; nothing reaches the internet.
///
///     let mock = try MockExchange(candles: candles, timeframe: .oneMinute)
///     mock.clock = .skewed(by: -3 * 3_600_000)   // the exchange's clock is 3 h behind ours
///     mock.pageCap = 200                         // at most 200 rows a page, whatever `limit` says
///     mock.faults[2] = .status(503)              // the second request fails
///     defer { mock.stop() }
///     BybitAPI(baseURL: mock.baseURL)
public final class MockExchange: @unchecked Sendable {
  public enum Fault: Sendable {
    /// An HTTP error status, with an optional Retry-After (seconds).
    case status(Int, retryAfter: Int? = nil)
    /// Close the connection without answering.
    case reset
    /// Answer after this many seconds (past the client's timeout).
    case slow(Double)
    /// Cut the JSON body in half.
    case truncated
    /// Replace a price with an object.
    case wrongTypes
    /// Answer with no rows.
    case emptyPage
    /// At most this many rows, from the documented end of the range (a short page mid-history).
    case shortPage(Int)
    /// List the page in the opposite of the documented order.
    case outOfOrder
    /// Widen the requested range by this many candles on both sides (rows the client already
    /// has or did not ask for: overlaps between pages).
    case overlap(Int)
    /// Every row twice.
    case duplicateRows
    /// Bybit: HTTP 200 with this retCode and message.
    case retCode(Int, String)
    /// Bybit: a normal answer whose `X-Bapi-Limit-Status` says the quota is used up until this
    /// many ms from now on the exchange's clock (`X-Bapi-Limit-Reset-Timestamp`).
    case quotaExhausted(resetInMilliseconds: Int64)
    /// Binance: a normal answer reporting this much request weight used in the current minute
    /// of the exchange's clock (`X-MBX-USED-WEIGHT-1M`).
    case weightUsed(Int)
  }

  /// The exchange's clock.
  public enum Clock: Sendable {
    /// Always this epoch ms.
    case fixed(Int64)
    /// Ours plus this many ms (negative: the exchange is behind us); it runs.
    case skewed(by: Int64)
  }

  /// What the server received, with its clock at the time.
  public struct Received: Sendable {
    public var target: String
    public var serverTime: Int64
    public var path: Substring { target.split(separator: "?").first ?? "" }
    /// An integer query parameter.
    public func parameter(_ name: String) -> Int64? { MockExchange.query(target)[name] }
    /// The requested range's start and inclusive end (Bybit `start`/`end`, Binance and funding
    /// `startTime`/`endTime`).
    public var start: Int64? { parameter("start") ?? parameter("startTime") }
    public var end: Int64? { parameter("end") ?? parameter("endTime") }
    public var isKline: Bool { path.hasSuffix("/kline") || path.hasSuffix("/klines") }
  }

  /// Served in time order (kept sorted), for any symbol without its own series below.
  public var candles: [Candle] {
    get { sortedCandles }
    set { sortedCandles = newValue.sorted { $0.time < $1.time } }
  }
  @Guarded private var sortedCandles: [Candle]
  /// Candles of particular symbols (time order), served instead of `candles` for them.
  @Guarded public var candlesBySymbol: [String: [Candle]] = [:]
  @Guarded public var funding: [FundingRate]
  /// Open interest and long/short ratio samples (`MockExchange+Metrics`), served at whatever
  /// interval is asked for (the samples on its grid).
  @Guarded public var openInterest: [MetricSample] = []
  @Guarded public var longShortRatio: [MetricSample] = []
  /// How far back the metric endpoints serve (Binance: 30 days), in ms; nil: everything.
  @Guarded public var metricHorizon: Int64?
  public let timeframe: Timeframe
  @Guarded public var clock: Clock
  /// Rows a list endpoint sends at most, whatever `limit` asks: exchanges may cap a page below
  /// the documented maximum (nil: exactly `limit`).
  @Guarded public var pageCap: Int?
  /// Faults by request number (1-based, counting every request, the server-time ones too).
  @Guarded public var faults: [Int: Fault] = [:]
  /// A fault for every request (overrides `faults`).
  @Guarded public var alwaysFault: Fault?
  /// REST behind the stream: the next `lagRequests` kline requests list no candle that opened in
  /// the last `lagMilliseconds` of the exchange's clock (an exchange's REST can lag its own
  /// WebSocket stream by a moment after a candle closes).
  @Guarded public var lagRequests = 0
  @Guarded public var lagMilliseconds: Int64 = 0
  public var port: UInt16 { listener.port }
  public var baseURL: String { "http://127.0.0.1:\(port)" }

  private let lock = NSLock()
  private var log: [Received] = []
  private let rowLock = NSLock()
  private var rows: [RowFormat: [Int64: (candle: Candle, row: String)]] = [:]
  private let listener: LoopbackListener

  /// Epoch ms on the exchange's clock; setting it fixes the clock there.
  public var serverTime: Int64 {
    get {
      switch clock {
      case .fixed(let t): return t
      case .skewed(let offset): return Int64(Date().timeIntervalSince1970 * 1000) + offset
      }
    }
    set { clock = .fixed(newValue) }
  }

  /// Paths and queries received, in order.
  public var requests: [String] { lock.withLock { log.map(\.target) } }
  /// Requests received with the exchange's clock when each arrived.
  public var received: [Received] { lock.withLock { log } }
  /// The kline requests received, in order.
  public var klineRequests: [Received] { received.filter(\.isKline) }

  /// `serverTime` defaults to a fixed clock a second past the last candle's close.
  public init(
    candles: [Candle], timeframe: Timeframe, funding: [FundingRate] = [], serverTime: Int64? = nil
  ) throws {
    sortedCandles = candles.sorted { $0.time < $1.time }
    self.timeframe = timeframe
    self.funding = funding
    clock = .fixed(serverTime ?? ((candles.last?.time ?? 0) + timeframe.milliseconds + 1_000))
    listener = try LoopbackListener(label: "mock")
    listener.start { [weak self] fd in
      guard let self else {
        close(fd)
        return
      }
      self.serve(fd)
    }
  }

  deinit { stop() }

  /// Stops accepting; connections in flight finish on their own threads.
  public func stop() { listener.stop() }

  private func serve(_ fd: Int32) {
    guard let request = LoopbackListener.readRequest(fd) else {
      close(fd)
      return
    }
    let target = request.target
    let now = serverTime
    let received = Received(target: target, serverTime: now)
    let (number, lag): (Int, Int64) = lock.withLock {
      log.append(received)
      guard received.isKline, lagRequests > 0 else { return (log.count, 0) }
      lagRequests -= 1
      return (log.count, lagMilliseconds)
    }
    let fault = alwaysFault ?? faults[number]
    if case .reset? = fault { return LoopbackListener.reset(fd) }
    if case .slow(let seconds)? = fault { Thread.sleep(forTimeInterval: seconds) }
    var answer = respond(target, now: now, fault: fault, lag: lag)
    if case .truncated? = fault { answer.body = Array(answer.body.prefix(answer.body.count / 2)) }
    LoopbackListener.writeResponse(
      fd, status: answer.status, headers: answer.headers, body: answer.body)
    close(fd)
  }

  /// An HTTP answer.
  struct Answer {
    var status: Int
    var body: [UInt8]
    var headers: [(String, String)] = []
    init(_ status: Int, _ body: String, headers: [(String, String)] = []) {
      self.status = status
      self.body = Array(body.utf8)
      self.headers = headers
    }
  }

  static func query(_ target: String) -> [String: Int64] {
    guard let q = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
    var out: [String: Int64] = [:]
    for pair in q.split(separator: "&") {
      let kv = pair.split(separator: "=", maxSplits: 1)
      if kv.count == 2, let v = Int64(kv[1]) { out[String(kv[0])] = v }
    }
    return out
  }

  /// A text query parameter.
  static func text(_ target: String, _ name: String) -> String? {
    guard let q = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
    for pair in q.split(separator: "&") {
      let kv = pair.split(separator: "=", maxSplits: 1)
      if kv.count == 2, kv[0] == name { return String(kv[1]) }
    }
    return nil
  }

  private func respond(_ target: String, now: Int64, fault: Fault?, lag: Int64) -> Answer {
    if case .status(let code, let retryAfter)? = fault {
      return Answer(
        code, "{\"code\":-1,\"msg\":\"injected \(code)\"}",
        headers: retryAfter.map { [("Retry-After", "\($0)")] } ?? [])
    }
    let path = String(target.split(separator: "?").first ?? "")
    let request = Request(
      query: Self.query(target), symbol: Self.text(target, "symbol"), now: now, fault: fault,
      lag: lag)
    if path.hasPrefix("/v5/market/open-interest") || path.hasPrefix("/v5/market/account-ratio") {
      return bybitMetric(
        path, request, period: Self.text(target, "intervalTime") ?? Self.text(target, "period"))
    }
    if path.hasPrefix("/futures/data/") {
      return binanceMetric(path, request, period: Self.text(target, "period"))
    }
    if path.hasPrefix("/v5/") { return bybit(path, request) }
    if path.hasPrefix("/api/v3/") || path.hasPrefix("/fapi/v1/") { return binance(path, request) }
    return Answer(404, "{\"msg\":\"not found\"}")
  }

  /// One request as the endpoint handlers see it.
  struct Request {
    var query: [String: Int64]
    var symbol: String?
    /// The exchange's clock when the request arrived.
    var now: Int64
    var fault: Fault?
    /// Kline rows that opened in the last this many ms are not listed yet (`lagRequests`).
    var lag: Int64 = 0
  }

  /// The candles an exchange lists for `[start, end]` (inclusive, as both document) at `now`:
  /// every candle that has opened by then, so the still-forming one too, as it stands (its
  /// close is the last price so far, its volume what has traded so far). `newest` picks the
  /// newest `limit` of the range (Bybit), otherwise the oldest (Binance from `startTime`).
  func klines(start: Int64, end: Int64, limit: Int, newest: Bool, _ r: Request) -> [Candle] {
    let tf = timeframe.milliseconds
    var (lo, hi) = (start, end)
    if case .overlap(let n)? = r.fault {
      lo -= Int64(n) * tf
      hi = hi > Int64.max / 2 ? hi : hi + Int64(n) * tf
    }
    hi = min(hi, r.now - r.lag)  // nothing that has not opened yet (or that REST lags behind)
    let candles = r.symbol.flatMap { candlesBySymbol[$0] } ?? self.candles
    let first = Self.firstIndex(candles, atOrAfter: lo)
    let last = Self.firstIndex(candles, atOrAfter: hi + 1)
    guard first < last else { return [] }
    let n = rowsPerPage(limit, r)
    var page = Array(
      newest ? candles[max(first, last - n)..<last] : candles[first..<min(last, first + n)])
    if let formingIndex = page.lastIndex(where: { $0.time + tf > r.now }) {
      let c = page[formingIndex]
      let soFar = Double(r.now - c.time) / Double(tf)
      page[formingIndex] = Candle(
        time: c.time, open: c.open, high: max(c.open, c.low), low: c.low, close: c.low,
        volume: c.volume * soFar)
    }
    return rows(page, r)
  }

  /// The funding rates settled by `now` in `[start, end]`, newest or oldest `limit` of them.
  func fundingRates(start: Int64, end: Int64, limit: Int, newest: Bool, _ r: Request)
    -> [FundingRate]
  {
    let settled = funding.filter { $0.time >= start && $0.time <= min(end, r.now) }
      .sorted { $0.time < $1.time }
    let n = rowsPerPage(limit, r)
    return rows(Array(newest ? settled.suffix(n) : settled.prefix(n)), r)
  }

  func rowsPerPage(_ limit: Int, _ r: Request) -> Int {
    var n = min(limit, pageCap ?? limit)
    if case .shortPage(let short)? = r.fault { n = min(n, short) }
    if case .emptyPage? = r.fault { n = 0 }
    return n
  }

  func rows<Row>(_ page: [Row], _ r: Request) -> [Row] {
    if case .duplicateRows? = r.fault { return page.flatMap { [$0, $0] } }
    return page
  }

  /// A kline page as JSON rows in the exchange's documented order (the other under
  /// `.outOfOrder`); `row` formats a candle given its open price field, which `.wrongTypes`
  /// turns into an object in the first row.
  func listed(
    _ page: [Candle], newestFirst documented: Bool, _ r: Request, format: RowFormat,
    row: (Candle, _ open: String) -> String
  ) -> [String] {
    let wrong: Bool = { if case .wrongTypes? = r.fault { true } else { false } }()
    return ordered(page, newestFirst: newestFirst(documented: documented, r)) { $0.time }
      .enumerated().map { i, c in
        wrong && i == 0
          ? row(c, "{\"x\":1}") : renderedRow(format, c) { row($0, "\"\($0.open)\"") }
      }
  }

  /// The exchange whose kline row format a rendered row is in.
  public enum RowFormat: Sendable { case bybit, binance }

  /// A candle's row, rendered once per format and kept while the candle stays the same.
  private func renderedRow(_ format: RowFormat, _ c: Candle, render: (Candle) -> String) -> String {
    if let kept = rowLock.withLock({ rows[format]?[c.time] }), kept.candle == c { return kept.row }
    let row = render(c)
    rowLock.withLock { rows[format, default: [:]][c.time] = (c, row) }
    return row
  }

  /// Renders every candle's row in `format` now. Formatting hundreds of thousands of rows on
  /// the requests would make `make bench`'s feed figure measure this mock's string building, not
  /// the client: a real exchange's cost is not on the client's machine.
  public func prerenderRows(_ format: RowFormat) {
    let row = format == .bybit ? bybitRow : binanceRow
    for c in candles {
      _ = renderedRow(format, c) { row($0, "\"\($0.open)\"") }
    }
  }

  /// Whether a page is listed newest first: `documented` unless the fault says otherwise.
  func newestFirst(documented: Bool, _ r: Request) -> Bool {
    if case .outOfOrder? = r.fault { return !documented }
    return documented
  }

  private static func firstIndex(_ candles: [Candle], atOrAfter t: Int64) -> Int {
    var (lo, hi) = (0, candles.count)
    while lo < hi {
      let mid = (lo + hi) / 2
      if candles[mid].time < t { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }
}

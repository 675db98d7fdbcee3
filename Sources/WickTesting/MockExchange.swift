import Foundation
import WickCore

#if canImport(Glibc)
  import Glibc
#endif

/// A loopback HTTP/1.1 server that answers like Bybit v5 and Binance market-data endpoints,
/// serving candles and funding rates it is given, and injecting faults on chosen requests.
/// Every test starts its own on an ephemeral port of 127.0.0.1; nothing reaches the internet.
///
///     let mock = try MockExchange(candles: candles, timeframe: .oneMinute)
///     mock.faults[2] = .status(503)            // the second request fails
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
    /// Answer with no candles.
    case emptyPage
    /// Serve the page in the opposite of the documented order.
    case outOfOrder
    /// Add the still-forming candle.
    case forming
    /// Add the previous page's last candle again.
    case duplicateBoundary
    /// Bybit: HTTP 200 with this retCode and message.
    case retCode(Int, String)
  }

  public var candles: [Candle]
  public var funding: [FundingRate]
  public let timeframe: Timeframe
  /// Epoch ms the server reports as its time.
  public var serverTime: Int64
  /// Faults by request number (1-based, counting every request).
  public var faults: [Int: Fault] = [:]
  /// A fault for every request (overrides `faults`).
  public var alwaysFault: Fault?
  public private(set) var port: UInt16 = 0
  public var baseURL: String { "http://127.0.0.1:\(port)" }

  private let lock = NSLock()
  private var recorded: [String] = []
  private var listener: Int32 = -1
  private var running = true
  private var acceptThread: Thread?

  /// Paths and queries received, in order.
  public var requests: [String] { lock.withLock { recorded } }

  public init(
    candles: [Candle], timeframe: Timeframe, funding: [FundingRate] = [], serverTime: Int64? = nil
  ) throws {
    self.candles = candles
    self.timeframe = timeframe
    self.funding = funding
    self.serverTime = serverTime ?? ((candles.last?.time ?? 0) + 2 * timeframe.milliseconds)
    listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard listener >= 0 else { throw WickError.exchange("mock: socket failed") }
    var yes: Int32 = 1
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    let bound = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0, listen(listener, 64) == 0 else {
      throw WickError.exchange("mock: bind/listen failed")
    }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) }
    }
    port = UInt16(bigEndian: addr.sin_port)
    let thread = Thread { [weak self] in self?.acceptLoop() }
    acceptThread = thread
    thread.start()
  }

  deinit { stop() }

  /// Stops accepting; connections in flight finish on their own threads.
  public func stop() {
    lock.lock()
    let wasRunning = running
    running = false
    lock.unlock()
    guard wasRunning else { return }
    shutdown(listener, Int32(SHUT_RDWR))
    close(listener)
  }

  private var isRunning: Bool { lock.withLock { running } }

  private func acceptLoop() {
    while isRunning {
      let fd = accept(listener, nil, nil)
      if fd < 0 {
        if !isRunning { return }
        continue
      }
      Thread { [weak self] in
        self?.serve(fd)
      }.start()
    }
  }

  private func serve(_ fd: Int32) {
    var buffer = [UInt8](repeating: 0, count: 8192)
    var request: [UInt8] = []
    while !request.ends(with: [13, 10, 13, 10]) {
      let n = read(fd, &buffer, buffer.count)
      if n <= 0 {
        close(fd)
        return
      }
      request.append(contentsOf: buffer[0..<n])
    }
    let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self)
    let target = line.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
    let number: Int = lock.withLock {
      recorded.append(target)
      return recorded.count
    }
    let fault = alwaysFault ?? faults[number]
    if case .reset? = fault {
      var off = linger(l_onoff: 1, l_linger: 0)  // RST instead of FIN
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, socklen_t(MemoryLayout<linger>.size))
      close(fd)
      return
    }
    if case .slow(let seconds)? = fault { Thread.sleep(forTimeInterval: seconds) }
    var (status, body, headers) = respond(target, fault: fault)
    if case .truncated? = fault { body = Array(body.prefix(body.count / 2)) }
    var head =
      "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Error")\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
    for (k, v) in headers { head += "\(k): \(v)\r\n" }
    head += "\r\n"
    let bytes = Array(head.utf8) + body
    bytes.withUnsafeBytes { raw in
      var sent = 0
      while sent < raw.count {
        let n = write(fd, raw.baseAddress! + sent, raw.count - sent)
        if n <= 0 { break }
        sent += n
      }
    }
    close(fd)
  }

  private func query(_ target: String) -> [String: Int64] {
    guard let q = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
    var out: [String: Int64] = [:]
    for pair in q.split(separator: "&") {
      let kv = pair.split(separator: "=", maxSplits: 1)
      if kv.count == 2, let v = Int64(kv[1]) { out[String(kv[0])] = v }
    }
    return out
  }

  private func respond(_ target: String, fault: Fault?) -> (Int, [UInt8], [(String, String)]) {
    if case .status(let code, let retryAfter)? = fault {
      return (
        code, Array("{\"code\":-1,\"msg\":\"injected \(code)\"}".utf8),
        retryAfter.map { [("Retry-After", "\($0)")] } ?? []
      )
    }
    if case .retCode(let code, let message)? = fault {
      return (
        200,
        Array(
          "{\"retCode\":\(code),\"retMsg\":\"\(message)\",\"result\":{},\"time\":\(serverTime)}"
            .utf8), []
      )
    }
    let path = String(target.split(separator: "?").first ?? "")
    let q = query(target)
    let tf = timeframe.milliseconds
    switch path {
    case "/v5/market/time":
      return (
        200,
        Array(
          "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"timeSecond\":\"\(serverTime / 1000)\",\"timeNano\":\"\(serverTime)000000\"},\"time\":\(serverTime)}"
            .utf8), []
      )
    case "/api/v3/time", "/fapi/v1/time":
      return (200, Array("{\"serverTime\":\(serverTime)}".utf8), [])
    case "/v5/market/kline", "/api/v3/klines", "/fapi/v1/klines":
      let bybit = path.hasPrefix("/v5")
      let start = q[bybit ? "start" : "startTime"] ?? 0
      let end = q[bybit ? "end" : "endTime"] ?? Int64.max
      let limit = Int(q["limit"] ?? 200)
      var page = candles.filter { $0.time >= start && $0.time <= end && $0.time + tf <= serverTime }
      page = bybit ? Array(page.suffix(limit)) : Array(page.prefix(limit))
      switch fault {
      case .emptyPage?: page = []
      case .forming?:
        page.append(
          Candle(
            time: timeframe.floor(serverTime), open: 1, high: 2, low: 0.5, close: 1.5, volume: 1))
      case .duplicateBoundary?:
        if let previous = candles.last(where: { $0.time < start }) { page.insert(previous, at: 0) }
      default: break
      }
      // Bybit lists newest first; Binance oldest first. outOfOrder swaps that.
      var newestFirst = bybit
      if case .outOfOrder? = fault { newestFirst.toggle() }
      page.sort { newestFirst ? $0.time > $1.time : $0.time < $1.time }
      let wrong: Bool = { if case .wrongTypes? = fault { return true } else { return false } }()
      let rows = page.enumerated().map { i, c -> String in
        let open = wrong && i == 0 ? "{\"x\":1}" : (bybit ? "\"\(c.open)\"" : "\"\(c.open)\"")
        if bybit {
          return
            "[\"\(c.time)\",\(open),\"\(c.high)\",\"\(c.low)\",\"\(c.close)\",\"\(c.volume)\",\"\(c.volume * c.close)\"]"
        }
        return
          "[\(c.time),\(open),\"\(c.high)\",\"\(c.low)\",\"\(c.close)\",\"\(c.volume)\",\(c.time + tf - 1),\"\(c.volume * c.close)\",10,\"0\",\"0\",\"0\"]"
      }.joined(separator: ",")
      if bybit {
        return (
          200,
          Array(
            "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"symbol\":\"X\",\"category\":\"linear\",\"list\":[\(rows)]},\"retExtInfo\":{},\"time\":\(serverTime)}"
              .utf8), [("X-Bapi-Limit-Status", "99")]
        )
      }
      return (200, Array("[\(rows)]".utf8), [("X-MBX-USED-WEIGHT-1m", "10")])
    case "/v5/market/funding/history":
      let start = q["startTime"] ?? 0
      let end = q["endTime"] ?? Int64.max
      let page = funding.filter { $0.time >= start && $0.time <= end }.sorted { $0.time > $1.time }
        .prefix(Int(q["limit"] ?? 200))
      let rows = page.map {
        "{\"symbol\":\"X\",\"fundingRate\":\"\($0.rate)\",\"fundingRateTimestamp\":\"\($0.time)\"}"
      }.joined(separator: ",")
      return (
        200,
        Array(
          "{\"retCode\":0,\"retMsg\":\"OK\",\"result\":{\"category\":\"linear\",\"list\":[\(rows)]},\"time\":\(serverTime)}"
            .utf8), []
      )
    case "/fapi/v1/fundingRate":
      let start = q["startTime"] ?? 0
      let end = q["endTime"] ?? Int64.max
      let page = funding.filter { $0.time >= start && $0.time <= end }.sorted { $0.time < $1.time }
        .prefix(Int(q["limit"] ?? 100))
      let rows = page.map {
        "{\"symbol\":\"X\",\"fundingRate\":\"\($0.rate)\",\"fundingTime\":\($0.time),\"markPrice\":\"1\"}"
      }.joined(separator: ",")
      return (200, Array("[\(rows)]".utf8), [])
    default:
      return (404, Array("{\"msg\":\"not found\"}".utf8), [])
    }
  }
}

extension Array where Element == UInt8 {
  fileprivate func ends(with suffix: [UInt8]) -> Bool {
    count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
  }
}

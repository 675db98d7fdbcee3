import Dispatch
import Foundation
import FuzzSupport
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import WickCore
import WickData

@testable import WickServer

/// Whole requests through the dashboard: the bytes a client sends are decoded by the server's
/// own HTTP decoder (with the dashboard's header limits), then answered by the dashboard's real
/// routes over a ledger with a saved backtest. What must hold for any request:
/// - no route fails with a 500 (an error a route did not expect);
/// - the control token is in no answer (headers or body);
/// - nothing the request carried reaches an HTML page unescaped: the seeds
///   carry `<fz` tags in the path, query, cookies and form fields, and the ledger's strategy
///   name is one, so `<fz` in a page means some field was not escaped.
/// Streams (the live updates) are not run: their first answer is the route's, which is checked.
enum Fixture {
  static let token = "fuzz-token-7f3a9c1e5b2d4680"
  static let logger = Logger(label: "fuzz") { _ in SwiftLogNoOpLogHandler() }

  static let dashboard: Dashboard = {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-fuzz-dashboard-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    let path = dir.appendingPathComponent("wick.sqlite").path
    do {
      let ledger = try Ledger(store: try CandleStore(path: path))
      let trade = Trade(
        symbol: "BTCUSDT", side: .long, entryTime: 1_700_000_000_000, entryPrice: 100,
        exitTime: 1_700_000_600_000, exitPrice: 110, qty: 1, fees: 0.2, spreadCost: 0,
        slippageCost: 0, pnl: 9.8, r: 1, exitReason: .take)
      let equity = [
        EquityPoint(time: 1_700_000_000_000, equity: 10_000),
        EquityPoint(time: 1_700_086_400_000, equity: 10_009.8),
      ]
      let result = BacktestResult(
        strategy: "<fz-strategy>", params: [("period", .number(60))], symbols: ["BTCUSDT"],
        timeframe: .oneMinute, candles: 1441, firstTime: 1_700_000_000_000,
        lastTime: 1_700_086_400_000, initialEquity: 10_000, finalEquity: 10_009.8,
        trades: [trade], equity: equity, dailyEquity: equity, maxDrawdown: 0.01, exposure: 0.1)
      try ledger.saveBacktest(
        result, metricsJSON: "{}", paramsJSON: #"{"period":60}"#, accounts: [])
      var settings = DashboardSettings(token: token)
      settings.failedLoginDelay = .zero
      return Dashboard(store: try DashboardStore(path: path), settings: settings)
    } catch {
      fatalError("fuzz-dashboard-routes: cannot build the ledger at \(path): \(error)")
    }
  }()

  static let router: Router = {
    let router = dashboard.router()
    // The check below can only catch an unescaped field if the marker reaches pages at all:
    // the runs page lists the strategy named `<fz-strategy>`, escaped.
    let page = respond(
      Request(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/runs")), router)
    guard case .bytes(let body) = page.body, page.status == .ok,
      String(buffer: body).contains("&lt;fz-strategy&gt;")
    else { fatalError("fuzz-dashboard-routes: the runs page does not show the fixture's run") }
    return router
  }()

  /// The request the server's decoder makes of `bytes`, or nil where it refuses them (the
  /// server answers 400 or 431 itself, without a route).
  static func decode(_ bytes: [UInt8]) -> Request? {
    let channel = EmbeddedChannel()
    defer { _ = try? channel.finish() }
    let decoder = HTTPRequestDecoder(
      leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop,
      limitConfiguration: dashboard.limits.decoder)
    guard
      (try? channel.pipeline.syncOperations.addHandler(
        ByteToMessageHandler(decoder))) != nil,
      (try? channel.writeInbound(ByteBuffer(bytes: bytes))) != nil
    else { return nil }
    var head: HTTPRequestHead?
    var body = ByteBuffer()
    while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
      switch part {
      case .head(let h): if head == nil { head = h } else { return finished(head, body) }
      case .body(var chunk): if head != nil { body.writeBuffer(&chunk) }
      case .end: return finished(head, body)
      }
    }
    return finished(head, body)
  }

  static func finished(_ head: HTTPRequestHead?, _ body: ByteBuffer) -> Request? {
    head.map { Request(head: $0, body: body, client: "203.0.113.9") }
  }

  /// The route's answer, waited for (the fuzzer's thread is not the cooperative pool's).
  static func respond(_ request: Request, _ router: Router = router) -> Response {
    let done = DispatchSemaphore(value: 0)
    let answer = Answer()
    Task {
      answer.response = await router.respond(to: request, logger: logger)
      done.signal()
    }
    done.wait()
    return answer.response!
  }

  final class Answer: @unchecked Sendable { var response: Response? }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDashboardRoutes(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  guard let request = Fixture.decode(FuzzInput(data, count).bytes) else { return 0 }
  let response = Fixture.respond(request)
  let what = "\(request.method) \(request.head.uri)"
  precondition(response.status != .internalServerError, "500 for \(what)")
  for (name, value) in response.headers {
    precondition(!value.contains(Fixture.token), "the token in header \(name) for \(what)")
  }
  guard case .bytes(let buffer) = response.body else { return 0 }
  let body = String(buffer: buffer)
  precondition(!body.contains(Fixture.token), "the token in the answer to \(what)")
  if response.headers.first(name: "Content-Type")?.hasPrefix("text/html") == true {
    precondition(!body.lowercased().contains("<fz"), "unescaped input in the page for \(what)")
  }
  return 0
}

/// The process's entry point: SwiftPM links `main` to `fuzz_dashboard_routes_main`.
@_cdecl("fuzz_dashboard_routes_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
  -> CInt
{
  runFuzzer(argc, argv, fuzzDashboardRoutes)
}

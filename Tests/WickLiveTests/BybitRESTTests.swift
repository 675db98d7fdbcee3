import Foundation
import Logging
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickBybit
@testable import WickLive

@Suite struct BybitRESTTests {
  @Test func signedCallsLandInTheRecvWindowOfAnExchangeHoursAhead() throws {
    let rig = try LiveRig(skewMs: 3 * 3_600_000)
    #expect(abs(rig.rest.serverOffsetMs - 3 * 3_600_000) < 1_000)
    let p = try rig.api.position(symbol: "BTCUSDT")
    #expect(!p.isOpen)
  }

  @Test func aStaleTimestampResyncsTheClockOnceAndGoesThrough() throws {
    let rig = try LiveRig()
    // The exchange's clock jumps an hour after the first sync: the next call is refused (10002).
    rig.bybit.clockSkewMs = -3_600_000
    _ = try rig.api.position(symbol: "BTCUSDT")
    #expect(rig.bybit.requests.filter { $0 == "GET /v5/market/time" }.count == 2)
    #expect(abs(rig.rest.serverOffsetMs + 3_600_000) < 1_000)
  }

  @Test func aBadSignatureFailsWithoutTheKeyOrSecretInTheErrorOrTheLog() async throws {
    let rig = try LiveRig(secret: "wrong-secret-0c9f")
    var message = ""
    do {
      _ = try rig.api.position(symbol: "BTCUSDT")
      Issue.record("a bad signature was accepted")
    } catch {
      message = "\(error) \(String(reflecting: error))"
    }
    #expect(message.contains("10004"))
    #expect(!message.contains(rig.bybit.apiKey))
    #expect(!message.contains("wrong-secret-0c9f"))

    // The private stream's log, with auth refused, is as clean.
    let captured = LogCapture()
    let logger = Logger(label: "test") { _ in captured }
    let stream = BybitPrivateStream(
      url: rig.bybit.wsURL, credentials: rig.credentials, inbox: rig.inbox,
      serverClock: { rig.rest.serverNow() }, maxBackoff: 0.05, logger: logger)
    let task = stream.start()
    try await waitUntil { captured.text.contains("refused") }
    task.cancel()
    #expect(!captured.text.contains(rig.bybit.apiKey))
    #expect(!captured.text.contains("wrong-secret-0c9f"))
    #expect(!rig.inbox.streamUp)
  }

  @Test func instrumentRulesComeFromInstrumentsInfo() throws {
    let rig = try LiveRig()
    #expect(
      try rig.api.instrument("BTCUSDT")
        == BybitInstrument(
          symbol: "BTCUSDT", tickSize: 0.1, qtyStep: 0.001, minOrderQty: 0.001,
          maxMarketOrderQty: 500, minNotional: 5))
    let eth = try rig.api.instrument("ETHUSDT")
    #expect(eth.qtyStep == 0.01 && eth.tickSize == 0.01)
    #expect(throws: BybitError.self) { try rig.api.instrument("DOGEUSDT") }
  }

  @Test func readsRetryThroughServerErrorsAndMalformedBodies() throws {
    let rig = try LiveRig()
    rig.bybit.injectReadFaults(
      "/v5/position/list", [.status(502), .malformed, .retCode(10006, "Too many visits!")])
    let p = try rig.api.position(symbol: "BTCUSDT")
    #expect(!p.isOpen)
    #expect(rig.bybit.requests.filter { $0 == "GET /v5/position/list" }.count == 4)
  }
}

extension BybitRESTTests {
  @Test func answersNotShapedAsDocumentedFailWithTheEndpointAndWhatIsMissing() throws {
    let rig = try LiveRig()
    rig.bybit.injectReadFaults("/v5/position/list", [.result(#"{"list":[{"symbol":"BTCUSDT"}]}"#)])
    #expect(
      throws: BybitError.malformed(
        endpoint: "GET /v5/position/list", reason: "a position lacks symbol or size")
    ) {
      try rig.api.position(symbol: "BTCUSDT")
    }
    rig.bybit.injectReadFaults("/v5/order/realtime", [.result(#"{"list":{}}"#)])
    #expect(
      throws: BybitError.malformed(
        endpoint: "GET /v5/order/realtime", reason: "result.list is not an array")
    ) {
      try rig.api.order(linkID: "w1-1-BTCUSDT-e", symbol: "BTCUSDT")
    }
    rig.bybit.injectReadFaults(
      "/v5/market/instruments-info",
      [
        .result(
          #"{"list":[{"symbol":"BTCUSDT","lotSizeFilter":{"qtyStep":"x"},"priceFilter":{}}]}"#)
      ])
    #expect(throws: BybitError.self) { try rig.api.instrument("BTCUSDT") }
  }
}

/// Collects log lines.
final class LogCapture: LogHandler, @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .trace
  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }
  func log(event: LogEvent) {
    lock.withLock { lines.append("\(event.level) \(event.message) \(event.metadata ?? [:])") }
  }
  var text: String { lock.withLock { lines.joined(separator: "\n") } }
}

import Foundation
import Testing
import WickCore
import WickData
import WickNet
import WickTesting

@testable import WickBybit
@testable import WickLive

/// The mock's public side, checked with the project's own market-data parser and a WebSocket
/// client, so an end-to-end live run can use one loopback Bybit for everything.
@Suite struct MockBybitMarketTests {
  let t0: Int64 = 1_700_000_000_000

  func candle(_ i: Int64) -> Candle {
    Candle(time: t0 + i * 60_000, open: 100, high: 101, low: 99, close: 100.5, volume: 3)
  }

  @Test func klinesAreServedNewestFirstAndOnlyWhenClosed() throws {
    let bybit = try MockBybitTrading()
    bybit.clockSkewMs = t0 + 3 * 60_000 + 30_000 - Int64(Date().timeIntervalSince1970 * 1000)
    bybit.setCandles("BTCUSDT", (0..<4).map(candle), timeframe: .oneMinute)
    let api = BybitAPI(baseURL: bybit.baseURL)
    let url = try api.klinesURL(
      symbol: "BTCUSDT", timeframe: .oneMinute, start: t0, end: t0 + 600_000, limit: 10)
    let r = try CurlHTTPClient().get(url)
    let got = try api.parseKlines(JSONDocument(r.body))
    // The fourth candle is still forming by the server's clock.
    #expect(got.map(\.time) == [t0 + 120_000, t0 + 60_000, t0])
  }

  @Test func thePublicStreamDeliversSubscribedKlines() async throws {
    let bybit = try MockBybitTrading()
    let received = ReceivedTexts()
    let task = Task(executorPreference: testStreamExecutor) {
      try await WebSocketClient.connect(url: bybit.wsURL + "/v5/public/linear") {
        inbound, outbound in
        try await outbound.write(.text(#"{"op":"subscribe","args":["kline.1.BTCUSDT"]}"#))
        for try await message in inbound {
          if case .text(let text) = message { received.append(text) }
          if received.count >= 2 { break }
        }
      }
    }
    try await waitUntil { bybit.publicSubscribers == 1 }
    bybit.pushKline("ETHUSDT", candle(0), confirm: true)  // not subscribed
    bybit.pushKline("BTCUSDT", candle(0), confirm: true)
    _ = try await task.value
    let texts = received.all
    #expect(texts.count == 2)
    #expect(texts[0].contains("\"op\":\"subscribe\""))
    #expect(
      texts[1].contains("\"topic\":\"kline.1.BTCUSDT\"") && texts[1].contains("\"confirm\":true"))
    #expect(texts[1].contains("\"start\":\(t0)"))
  }
}

final class ReceivedTexts: @unchecked Sendable {
  private let lock = NSLock()
  private var texts: [String] = []
  func append(_ s: String) { lock.withLock { texts.append(s) } }
  var count: Int { lock.withLock { texts.count } }
  var all: [String] { lock.withLock { texts } }
}

import Foundation
import Testing
import WickCore
import WickTesting

@testable import WickBybit
@testable import WickLive

/// The WebSocket client against the loopback mock: subscribe, deliver, survive a dropped socket.
@Suite struct KlineSocketTests {
  // Async waits: a blocked test thread would starve the socket's tasks on a 2-core pool.
  func waitFor(_ seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
    await eventually(seconds, condition)
  }

  @Test func subscribesDeliversAndReconnectsAfterADroppedSocket() async throws {
    let ws = try MockKlineStream()
    defer { ws.stop() }
    let inbox = KlineInbox()
    let socket = try KlineSocket(
      dialect: BybitKlines(), base: ws.baseURL, symbols: ["BTCUSDT"], timeframe: .oneMinute,
      inbox: inbox)
    socket.pingInterval = 0.2
    socket.start()
    defer { socket.stop() }
    var events: [StreamEvent] = []
    #expect(
      await waitFor {
        events += inbox.drain(timeout: 0)
        return events.contains(.connected)
      })
    #expect(
      await waitFor { ws.messages.first == #"{"op":"subscribe","args":["kline.1.BTCUSDT"]}"# })
    ws.send(symbol: "BTCUSDT", interval: "1", candle: candle(1), confirm: false)
    ws.send(symbol: "BTCUSDT", interval: "1", candle: candle(1), confirm: true)
    #expect(
      await waitFor {
        events += inbox.drain(timeout: 0)
        return events.filter {
          if case .update = $0 { return true }
          return false
        }.count == 2
      })
    #expect(await waitFor { ws.messages.contains(#"{"op":"ping"}"#) })
    // Mid-candle, the socket drops: the client reconnects and subscribes again.
    ws.send(symbol: "BTCUSDT", interval: "1", candle: candle(2), confirm: false)
    ws.dropConnections()
    #expect(
      await waitFor {
        events += inbox.drain(timeout: 0)
        return events.filter { $0 == .connected }.count == 2
      })
    #expect(ws.connections == 2)
    #expect(
      events.contains {
        if case .disconnected = $0 { return true }
        return false
      })
  }
}

import Foundation
import Testing
import WickTesting

@testable import WickNet

/// The WebSocket client against a plain loopback server that behaves like an exchange's stream.
@Suite struct WebSocketClientTests {
  /// A stream that pushes at once (Binance's combined stream does): its first messages arrive in
  /// the same read as the 101 answer, and the client must not drop them with the HTTP decoder.
  @Test func messagesRightBehindTheUpgradeAnswerArriveFirst() async throws {
    let server = try LoopbackServer { _ in
      .webSocket(greeting: ["first", "second"]) { ws in
        ws.send("third")
        ws.send("end")
        while ws.receive() != nil {}
      }
    }
    let got = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(server.port)/stream") {
      inbound, _ in
      var got: [String] = []
      for try await case .text(let text) in inbound {
        if text == "end" { break }
        got.append(text)
      }
      return got
    }
    #expect(got == ["first", "second", "third"])
  }

  /// A server that hangs up right behind its 101 answer (Binance, for a listenKey it does not
  /// know): the session's messages end, so the caller reconnects instead of waiting forever.
  @Test func aHangUpRightAfterTheUpgradeEndsTheSession() async throws {
    let server = try LoopbackServer { _ in
      .webSocket(greeting: ["only"]) { ws in ws.drop() }
    }
    for _ in 0..<20 {
      let got = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(server.port)/ws/key") {
        inbound, _ in
        var got: [String] = []
        for try await case .text(let text) in inbound { got.append(text) }
        return got
      }
      #expect(got.count <= 1)
    }
  }
}

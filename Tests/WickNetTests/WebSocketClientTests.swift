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
    let url = "ws://127.0.0.1:\(server.port)/ws/key"
    for i in 0..<20 {
      // A regression would leave the session waiting for messages forever: it fails instead.
      // The wait is long because the suites share NIO's two event loop threads.
      let got = try await within(seconds: 30) {
        try await WebSocketClient.connect(url: url) { inbound, _ in
          var got: [String] = []
          for try await case .text(let text) in inbound { got.append(text) }
          return got
        }
      }
      let messages = try #require(got, "session \(i) had not ended 30 s after the server hung up")
      #expect(messages.count <= 1)
    }
  }
}

/// `body`'s result, or nil when it has not finished within `seconds`: it is then cancelled and
/// left behind, so that even a wait that ignores cancellation cannot hang the test.
func within<T: Sendable>(
  seconds: Double, _ body: @escaping @Sendable () async throws -> T
) async throws -> T? {
  let once = ClaimOnce()  // the result or the timeout, whichever comes first
  return try await withCheckedThrowingContinuation { (c: CheckedContinuation<T?, Error>) in
    let work = Task {
      do {
        let value = try await body()
        if once.claim() { c.resume(returning: value) }
      } catch {
        if once.claim() { c.resume(throwing: error) }
      }
    }
    Task {
      try? await Task.sleep(for: .seconds(seconds))
      if once.claim() {
        work.cancel()
        c.resume(returning: nil)
      }
    }
  }
}

import Foundation
import NIOCore
import Testing

@testable import WickNet

/// The TLS layer and the WebSocket client over it, attacked on loopback: what a client refuses,
/// what a server survives, and that what crosses arrives whole.
@Suite struct TLSWebSocketTests {
  /// Runs one session against `url` and returns the texts it received after sending `texts`
  /// (`expecting` of them).
  static func exchange(
    _ url: String, trust: TLSContext?, send texts: [String], expecting count: Int
  ) async throws -> [String] {
    try await WebSocketClient.connect(url: url, trust: trust) { inbound, outbound in
      for t in texts { try await outbound.write(.text(t)) }
      var got: [String] = []
      for try await case .text(let text) in inbound {
        got.append(text)
        if got.count == count { break }
      }
      return got
    }
  }

  @Test func aSelfSignedCertificateNobodyTrustsIsRefused() async throws {
    let certs = try CertificateFolder()
    let (cert, key) = try certs.selfSigned("server", subjectAltName: "IP:127.0.0.1")
    let server = try LoopbackTLSWebSocketServer(
      context: .server(certificateFile: cert, keyFile: key))
    await #expect {
      _ = try await Self.exchange(server.url(), trust: nil, send: ["hi"], expecting: 1)
    } throws: { error in
      guard case .certificateRejected(let reason) = error as? TLSError else { return false }
      return reason.contains("self-signed")
    }
    #expect(server.upgrades == 0)
  }

  @Test func aCertificateMadeOutToAnotherHostIsRefused() async throws {
    let certs = try CertificateFolder()
    // Trusted, but for wick.test only: 127.0.0.1 is not that host.
    let other = try certs.selfSigned("other", subjectAltName: "DNS:wick.test")
    let otherServer = try LoopbackTLSWebSocketServer(
      context: .server(certificateFile: other.cert, keyFile: other.key))
    await #expect {
      _ = try await Self.exchange(
        otherServer.url(), trust: .client(extraTrustedCAFile: other.cert), send: ["hi"],
        expecting: 1)
    } throws: { error in
      guard case .certificateRejected(let reason) = error as? TLSError else { return false }
      return reason.contains("IP address mismatch")
    }
    // Trusted, for the IP only: the name localhost is not in it.
    let ip = try certs.selfSigned("ip", subjectAltName: "IP:127.0.0.1")
    let ipServer = try LoopbackTLSWebSocketServer(
      context: .server(certificateFile: ip.cert, keyFile: ip.key))
    await #expect {
      _ = try await Self.exchange(
        ipServer.url(host: "localhost"), trust: .client(extraTrustedCAFile: ip.cert),
        send: ["hi"], expecting: 1)
    } throws: { error in
      guard case .certificateRejected(let reason) = error as? TLSError else { return false }
      return reason.contains("hostname mismatch")
    }
    #expect(otherServer.upgrades == 0 && ipServer.upgrades == 0)
  }

  @Test func aClientGivenTheCertificateTalksAnswersPingsAndSeesTheClose() async throws {
    let certs = try CertificateFolder()
    let (cert, key) = try certs.selfSigned("server", subjectAltName: "IP:127.0.0.1,DNS:localhost")
    let server = try LoopbackTLSWebSocketServer(
      context: .server(certificateFile: cert, keyFile: key))
    let trust = try TLSContext.client(extraTrustedCAFile: cert)
    let echoed = try await Self.exchange(
      server.url(), trust: trust, send: ["héllo", "wörld"], expecting: 2)
    #expect(echoed == ["héllo", "wörld"])
    // By name too (SNI and host name check), and the server's ping is answered, and its close
    // ends the messages without an error.
    let (texts, ended) = try await WebSocketClient.connect(
      url: server.url(host: "localhost"), trust: trust
    ) { inbound, outbound in
      try await outbound.write(.text("ping"))
      try await outbound.write(.text("after ping"))
      try await outbound.write(.text("bye"))
      var texts: [String] = []
      for try await case .text(let text) in inbound { texts.append(text) }
      return (texts, true)
    }
    #expect(texts == ["after ping"])
    #expect(ended)
    #expect(server.pongs == 1)
    #expect(server.upgrades == 2)
  }

  @Test func largeAndManySmallMessagesCrossIntactAndInOrder() async throws {
    let certs = try CertificateFolder()
    let (cert, key) = try certs.selfSigned("server", subjectAltName: "IP:127.0.0.1")
    let server = try LoopbackTLSWebSocketServer(
      context: .server(certificateFile: cert, keyFile: key))
    let trust = try TLSContext.client(extraTrustedCAFile: cert)
    // 1 MB each way: many TLS records, many socket reads.
    let big = String((0..<(1 << 20)).map { i in Character(UnicodeScalar(UInt8(97 + i % 26))) })
    let small = (0..<2000).map { "message \($0)" }
    let got = try await Self.exchange(
      server.url(), trust: trust, send: [big, "big:1048576"] + small, expecting: 2 + small.count)
    #expect(got.count == 2 + small.count)
    #expect(got.first == big)
    #expect(got.dropFirst().first == String(repeating: "x", count: 1 << 20))
    #expect(Array(got.dropFirst(2)) == small)
    // A message over the client's limit ends the session with an error, not a crash.
    await #expect(throws: WebSocketError.messageTooLarge(limit: 1000)) {
      try await WebSocketClient.connect(url: server.url(), trust: trust, maxMessageSize: 1000) {
        inbound, outbound in
        try await outbound.write(.text("big:5000"))
        for try await _ in inbound {}
      }
    }
  }

  @Test func serverFilesAreCheckedAtStartAndTheBadOneIsNamed() throws {
    let certs = try CertificateFolder()
    let (cert, key) = try certs.selfSigned("server", subjectAltName: "IP:127.0.0.1")
    let (_, otherKey) = try certs.selfSigned("other", subjectAltName: "IP:127.0.0.1")
    let missing = certs.path("missing.pem")
    #expect(throws: TLSError.file(path: missing, problem: "cannot read the file")) {
      try TLSContext.server(certificateFile: missing, keyFile: key)
    }
    #expect(throws: TLSError.file(path: missing, problem: "cannot read the file")) {
      try TLSContext.server(certificateFile: cert, keyFile: missing)
    }
    #expect(
      throws: TLSError.file(
        path: otherKey, problem: "this key does not belong to the certificate in \(cert)")
    ) { try TLSContext.server(certificateFile: cert, keyFile: otherKey) }
    // A key where the certificate belongs, a certificate where the key belongs.
    #expect { try TLSContext.server(certificateFile: key, keyFile: key) } throws: { error in
      guard case .file(let path, let problem) = error as? TLSError else { return false }
      return path == key && problem.hasPrefix("not a PEM certificate")
    }
    #expect { try TLSContext.server(certificateFile: cert, keyFile: cert) } throws: { error in
      guard case .file(let path, let problem) = error as? TLSError else { return false }
      return path == cert && problem.hasPrefix("not a PEM private key")
    }
    #expect(throws: TLSError.file(path: missing, problem: "cannot read the file")) {
      try TLSContext.client(extraTrustedCAFile: missing)
    }
  }

  @Test func plaintextAndHalfHandshakesDoNotHurtTheServer() async throws {
    let certs = try CertificateFolder()
    let (cert, key) = try certs.selfSigned("server", subjectAltName: "IP:127.0.0.1")
    let server = try LoopbackTLSWebSocketServer(
      context: .server(certificateFile: cert, keyFile: key))
    // Plain HTTP to the TLS port: refused (the server hangs up), nothing upgraded. The wait is
    // long because the whole suite shares NIO's two event loop threads (CI once took over 5 s).
    let hungUp = try await RawPeer.sendAndAwaitHangUp(
      Array("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n".utf8), port: server.port,
      seconds: 30)
    #expect(hungUp)
    // The first bytes of a ClientHello, then the client goes away.
    _ = try await RawPeer.sendAndAwaitHangUp(
      [0x16, 0x03, 0x01, 0x02, 0x00, 0x01], port: server.port, seconds: 1)
    #expect(server.upgrades == 0)
    #expect(server.errors.contains { $0.contains("TLS handshake failed") })
    // Still serving.
    let trust = try TLSContext.client(extraTrustedCAFile: cert)
    #expect(
      try await Self.exchange(server.url(), trust: trust, send: ["ok"], expecting: 1) == ["ok"])
  }

  @Test func aServerThatHangsUpOrSaysNothingMidHandshakeIsAnError() async throws {
    let hangsUp = try RawPeer.server(closeOnFirstRead: true)
    defer { hangsUp.close(promise: nil) }
    await #expect(throws: TLSError.closedDuringHandshake) {
      try await WebSocketClient.connect(url: "wss://127.0.0.1:\(hangsUp.localAddress!.port!)/") {
        _, _ in
      }
    }
    let silent = try RawPeer.server(closeOnFirstRead: false)
    defer { silent.close(promise: nil) }
    await #expect(throws: WebSocketError.timedOut(seconds: 1)) {
      try await WebSocketClient.connect(
        url: "wss://127.0.0.1:\(silent.localAddress!.port!)/", connectTimeout: .seconds(1)
      ) { _, _ in }
    }
    // Not a WebSocket URL at all.
    await #expect(throws: WebSocketError.invalidURL("https://127.0.0.1/")) {
      try await WebSocketClient.connect(url: "https://127.0.0.1/") { _, _ in }
    }
  }
}

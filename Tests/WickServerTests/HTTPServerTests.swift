import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Testing
import WickTesting

@testable import WickServer

/// The dashboard's HTTP/1.1 server on its own, with routes of the test's making: HEAD,
/// keep-alive and pipelining, the header and body limits, a stream whose client goes away, and
/// a graceful stop. (The dashboard's routes over it: PageTests, ControlTests, AttackerTests.)
@Suite struct HTTPServerTests {
  /// What the streaming route did: ticks written, and whether it ended.
  final class StreamLog: @unchecked Sendable {
    private let lock = NSLock()
    private var ticks = 0
    private var ends = 0
    private var slow = 0
    /// The server whose stop `/slow` waits for (nil: it answers after 400 ms).
    private var held: HTTPServer?
    func hold(until server: HTTPServer) { lock.withLock { held = server } }
    var holder: HTTPServer? { lock.withLock { held } }
    func tick() { lock.withLock { ticks += 1 } }
    func slowStarted() { lock.withLock { slow += 1 } }
    var slowRequests: Int { lock.withLock { slow } }
    func end() { lock.withLock { ends += 1 } }
    var ended: Int { lock.withLock { ends } }
    var written: Int { lock.withLock { ticks } }

    /// Waits until `condition` holds or `seconds` (scaled: WickTesting's `eventually`) pass.
    func wait(_ seconds: Double, until condition: (StreamLog) -> Bool) async -> Bool {
      await eventually(seconds) { condition(self) }
    }
  }

  /// `/hello` (5 bytes), `/slow` (answers after 400 ms, or once the server `log` holds it for
  /// has begun to stop), `/ticks` (a stream of `tick` lines every 20 ms until it is cancelled or
  /// its client is gone).
  static func router(_ log: StreamLog) -> Router {
    var router = Router()
    router.get("/hello") { _, _ in Response(status: .ok, text: "hello") }
    router.get("/slow") { _, _ in
      log.slowStarted()
      if let server = log.holder {
        // Deterministic on a loaded machine: the answer begins only after the stop has told the
        // connection, however late the test's task gets to run.
        _ = await log.wait(10) { _ in server.isStopping }
      } else {
        try await Task.sleep(for: .milliseconds(400))
      }
      return Response(status: .ok, text: "slow")
    }
    router.get("/ticks") { _, _ in
      Response(status: .ok, headers: ["Content-Type": "text/event-stream"]) { writer in
        defer { log.end() }
        while true {
          try await writer.write(ByteBuffer(string: "tick\n"))
          log.tick()
          try await Task.sleep(for: .milliseconds(20))
        }
      }
    }
    router.get("/flood") { _, _ in
      Response(status: .ok) { writer in
        defer { log.end() }
        let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)
        while true {
          try await writer.write(chunk)
          log.tick()
        }
      }
    }
    router.get("/items/:id") { _, parameters in
      Response(status: .ok, text: "item \(parameters.int64("id").map(String.init) ?? "none")")
    }
    return router
  }

  func withServer<T>(
    limits: HTTPLimits = HTTPLimits(),
    _ body: (HTTPServer, StreamLog) async throws -> T
  ) async throws -> T {
    let log = StreamLog()
    let router = Self.router(log)
    let logger = Dashboard.quietLogger
    let server = try await HTTPServer.start(
      host: "127.0.0.1", port: 0, limits: limits, logger: logger
    ) { request in await router.respond(to: request, logger: logger) }
    let outcome: Result<T, any Error>
    do { outcome = .success(try await body(server, log)) } catch { outcome = .failure(error) }
    await server.stop()
    return try outcome.get()
  }

  @Test func headGetsTheHeadersOfGetAndNoBody() async throws {
    try await withServer { server, log in
      let port = server.port
      let reply = try await RawHTTP.offPool {
        let c = try RawHTTP.Connection(port: port)
        // A sized answer, a stream's, then a GET on the same connection: a HEAD answer that
        // carried any body bytes would garble the next one.
        try c.send(
          "HEAD /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nHEAD /ticks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        return c.readUntilClosed(timeout: 5)
      }
      let text = try #require(reply)
      let answers = text.components(separatedBy: "HTTP/1.1 ").dropFirst()
      #expect(answers.count == 3, "\(text)")
      let heads = Array(answers.prefix(2))
      #expect(heads.allSatisfy { $0.hasPrefix("200 OK") && $0.hasSuffix("\r\n\r\n") }, "\(text)")
      #expect(heads.first?.lowercased().contains("content-length: 5\r\n") == true)
      #expect(answers.last?.hasSuffix("\r\n\r\nhello") == true, "\(text)")
      #expect(log.written == 0, "a HEAD does not run the stream")
    }
  }

  @Test func oneConnectionServesSeveralRequestsInOrder() async throws {
    try await withServer { server, _ in
      let port = server.port
      let (first, both) = try await RawHTTP.offPool {
        let c = try RawHTTP.Connection(port: port)
        try c.send("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let first = c.read(until: "hello", timeout: 5)
        // Kept alive: two more on the same connection, pipelined, the last asking to close.
        try c.send(
          "GET /items/7 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        return (first, c.readUntilClosed(timeout: 5))
      }
      #expect(first.hasPrefix("HTTP/1.1 200") && !first.lowercased().contains("connection: close"))
      let rest = try #require(both, "closed after the request that asked for it")
      let item = try #require(rest.range(of: "item 7"))
      let missing = try #require(rest.range(of: "HTTP/1.1 404"))
      #expect(item.upperBound <= missing.lowerBound, "answers in the order asked: \(rest)")
      #expect(rest.lowercased().contains("connection: close"))
    }
  }

  @Test func tooManyOrTooLargeHeadersAre431() async throws {
    try await withServer { server, _ in
      let port = server.port
      let replies = try await RawHTTP.offPool {
        let many = (0..<150).map { "X-H\($0): v\r\n" }.joined()
        let large = "X-Big: " + String(repeating: "x", count: 20 * 1024) + "\r\n"
        return try [many, large].map { extra in
          try RawHTTP.exchange(
            port: port, "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\(extra)\r\n", readFor: 1)
        }
      }
      for reply in replies {
        #expect(reply.hasPrefix("HTTP/1.1 431"), "\(reply.prefix(80))")
        #expect(!reply.contains("hello\n") && !reply.hasSuffix("hello"))
      }
    }
  }

  @Test func anOversizedBodyIsRefusedBeforeItIsSent() async throws {
    var limits = HTTPLimits()
    limits.maxBodyBytes = 1024
    try await withServer(limits: limits) { server, _ in
      let port = server.port
      let (sized, chunked) = try await RawHTTP.offPool {
        // Only the head: the answer may not wait for 10 MB that never come.
        let c = try RawHTTP.Connection(port: port)
        try c.send(
          "POST /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000\r\n\r\n")
        let sized = c.read(until: "\r\n\r\n", timeout: 2)
        // Chunked, so no length up front: refused once past the limit.
        let d = try RawHTTP.Connection(port: port)
        try d.send(
          "POST /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n"
            + String(repeating: "a", count: 2048) + "\r\n")
        return (sized, d.read(until: "\r\n\r\n", timeout: 2))
      }
      #expect(sized.hasPrefix("HTTP/1.1 413"), "\(sized.prefix(80))")
      #expect(chunked.hasPrefix("HTTP/1.1 413"), "\(chunked.prefix(80))")
    }
  }

  @Test func aStreamStopsWhenItsClientGoesAway() async throws {
    try await withServer { server, log in
      let port = server.port
      let seen = try await RawHTTP.offPool {
        let c = try RawHTTP.Connection(port: port)
        try c.send("GET /ticks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        return c.read(until: "tick", count: 3, timeout: 5)
        // The connection closes here.
      }
      #expect(seen.hasPrefix("HTTP/1.1 200") && seen.lowercased().contains("chunked"))
      #expect(await log.wait(3) { $0.ended == 1 }, "the stream's task ended")
      let written = log.written
      try await Task.sleep(for: .milliseconds(200))
      #expect(log.written == written, "and writes nothing more")
    }
  }

  @Test func aStreamWhoseClientStopsReadingIsCutOff() async throws {
    var limits = HTTPLimits()
    limits.idleTimeout = .milliseconds(300)
    try await withServer(limits: limits) { server, log in
      let port = server.port
      let c = try RawHTTP.Connection(port: port)
      try c.send("GET /flood HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
      // The client reads nothing: once the socket's buffers are full, a chunk waits, and after
      // the idle timeout the server lets go.
      #expect(await log.wait(15) { $0.ended == 1 }, "\(log.written) chunks written")
      #expect(log.written > 0)
      withExtendedLifetime(c) {}
    }
  }

  @Test func connectionsBeyondTheLimitAreClosedAtOnce() async throws {
    var limits = HTTPLimits()
    limits.maxConnections = 2
    try await withServer(limits: limits) { server, _ in
      let port = server.port
      let (third, first) = try await RawHTTP.offPool {
        let a = try RawHTTP.Connection(port: port)
        let b = try RawHTTP.Connection(port: port)
        try a.send("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try b.send("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        _ = (a.read(until: "hello", timeout: 5), b.read(until: "hello", timeout: 5))
        let c = try RawHTTP.Connection(port: port)
        try c.send("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let third = c.readUntilClosed(timeout: 5)
        // The first two still serve.
        try a.send("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return (third, a.readUntilClosed(timeout: 5))
      }
      #expect(third == "", "closed without an answer")
      #expect(first?.hasPrefix("HTTP/1.1 200") == true && first?.hasSuffix("hello") == true)
    }
  }

  @Test func stopFinishesWhatIsInFlightEndsStreamsAndListensNoMore() async throws {
    let log = StreamLog()
    let router = Self.router(log)
    let logger = Dashboard.quietLogger
    let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, logger: logger) {
      request in await router.respond(to: request, logger: logger)
    }
    let port = server.port
    log.hold(until: server)
    let clients = Task {
      try await RawHTTP.offPool {
        let idle = try RawHTTP.Connection(port: port)
        let stream = try RawHTTP.Connection(port: port)
        try stream.send("GET /ticks HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        _ = stream.read(until: "tick", timeout: 5)
        let slow = try RawHTTP.Connection(port: port)
        try slow.send("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        return (
          slow.readUntilClosed(timeout: 10), stream.readUntilClosed(timeout: 10),
          idle.readUntilClosed(timeout: 10)
        )
      }
    }
    // Stop while the stream runs and /slow is being answered.
    #expect(await log.wait(5) { $0.written > 0 && $0.slowRequests == 1 })
    let t0 = ContinuousClock.now
    // The grace and the bound below stretch under ThreadSanitizer (13.6 s seen there, loaded).
    await server.stop(grace: .seconds(10 * testTimeScale))
    let stopping = ContinuousClock.now - t0
    let (slow, stream, idle) = try await clients.value
    // The request in flight got its whole answer, and was told the connection closes.
    let answer = try #require(slow, "the slow request's connection closed")
    #expect(answer.hasPrefix("HTTP/1.1 200") && answer.hasSuffix("slow"), "\(answer)")
    #expect(answer.lowercased().contains("connection: close"))
    // The stream ended properly (the last chunk), the idle connection was closed.
    #expect(try #require(stream).hasSuffix("0\r\n\r\n"))
    #expect(idle == "")
    #expect(log.ended == 1)
    // Well before the 10 s grace that would cut connections off (generous: a loaded machine).
    #expect(stopping < .seconds(8 * testTimeScale), "\(stopping)")
    #expect(throws: RawHTTP.Failure.self) { try RawHTTP.Connection(port: port) }
  }

  @Test func routesMatchWholeSegmentsAndParseTheirParameters() async {
    let router = Self.router(StreamLog())
    func status(_ method: HTTPMethod, _ uri: String) async -> (UInt, String) {
      let r = await router.respond(
        to: Request(head: HTTPRequestHead(version: .http1_1, method: method, uri: uri)),
        logger: Dashboard.quietLogger)
      guard case .bytes(let b) = r.body else { return (r.status.code, "") }
      return (r.status.code, String(buffer: b))
    }
    #expect(await status(.GET, "/items/12?x=1") == (200, "item 12"))
    #expect(await status(.GET, "/items/12/") == (200, "item 12"))
    #expect(await status(.HEAD, "/items/12") == (200, "item 12"))
    #expect(await status(.GET, "/items/0x10") == (200, "item none"))
    #expect(await status(.GET, "/items/12/x").0 == 404)
    #expect(await status(.GET, "/items").0 == 404)
    #expect(await status(.POST, "/items/12").0 == 404)
    #expect(await status(.GET, "/hello/../items/1").0 == 404)
  }

  @Test func queriesFormsAndCookiesDecode() {
    var head = HTTPRequestHead(
      version: .http1_1, method: .GET, uri: "/x?after=1-2-3&sort=a+b&dir=%41sc&bad=%zz#frag")
    head.headers.add(name: "Cookie", value: "theme=dark; wick_session=abc=def")
    head.headers.add(name: "cookie", value: "wick_session=second")
    let r = Request(head: head)
    #expect(r.path == "/x")
    #expect(r.query == ["after": "1-2-3", "sort": "a b", "dir": "Asc", "bad": ""])
    #expect(r.cookie("wick_session") == "abc=def", "the first one sent wins")
    #expect(r.cookie("theme") == "dark" && r.cookie("none") == nil)
    #expect(Dashboard.parseForm("a=1&a=2&b") == ["a": "2", "b": ""])
    #expect(
      Cookie(name: "s", value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict)
        .headerValue == "s=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict")
  }
}

import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Testing
import WickCore
import WickData
import WickReport

@testable import WickServer

/// An attacker at the dashboard: forged and cross-site posts, fixed and stolen sessions,
/// traversal, oversized and slow requests, HTML through every field a strategy or a form can
/// put on a page, and the token in no page or log. (Token guessing is throttled:
/// `OpsTests.failedLoginsAreThrottledPerClient`.)
@Suite struct AttackerTests {
  static let token = ControlTests.token

  func settings(token: String? = AttackerTests.token) -> DashboardSettings {
    var s = DashboardSettings(token: token)
    s.failedLoginDelay = .zero
    s.pollInterval = .milliseconds(20)
    s.streamLifetime = .milliseconds(200)
    return s
  }

  func dashboard(_ f: LedgerFixture, _ s: DashboardSettings? = nil) -> Dashboard {
    Dashboard(store: f.store, settings: s ?? settings())
  }

  /// The session cookie (`wick_session=…`) and CSRF token of a fresh, locked visit.
  func visit(_ browser: Browser, _ path: String) async throws -> (cookie: String, csrf: String) {
    let page = try await browser.get(path)
    return (try #require(browser.cookie), try #require(Browser.csrf(page.body)))
  }

  func unlock(_ browser: Browser, run: Int64) async throws -> String {
    let (_, csrf) = try await visit(browser, "/runs/\(run)")
    let login = try await browser.post(
      "/login", [("csrf", csrf), ("next", "/runs/\(run)"), ("token", Self.token)], json: false)
    #expect(login.status == .seeOther)
    let page = try await browser.get("/runs/\(run)")
    #expect(page.body.contains("controls unlocked"))
    return try #require(Browser.csrf(page.body))
  }

  // MARK: - Cross-site posts

  @Test func loginAndLogoutRefuseForgedAndCrossSitePosts() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      let (_, csrf) = try await visit(browser, "/runs")
      let login: [(String, String)] = [("csrf", csrf), ("next", "/runs"), ("token", Self.token)]
      // A form on another site knows the token (a phished one) but not the session's CSRF.
      let forged = try await browser.post(
        "/login", [("csrf", "f00d"), ("next", "/runs"), ("token", Self.token)], json: false)
      #expect(forged.status == .forbidden && forged.body.contains("CSRF"))
      let missing = try await browser.post(
        "/login", [("next", "/runs"), ("token", Self.token)], json: false)
      #expect(missing.status == .forbidden)
      // The right CSRF but another origin, an opaque one, or a browser that says cross-site.
      for headers: HTTPHeaders in [
        ["Origin": "http://evil.example"], ["Origin": "null"],
        ["Origin": "http://localhost.evil.example"],
        ["Sec-Fetch-Site": "cross-site"],
      ] {
        let r = try await browser.post("/login", login, headers: headers, json: false)
        #expect(r.status == .forbidden, "\(headers)")
        #expect(r.headers.first(name: "Set-Cookie") == nil, "a refused login sets no cookie")
      }
      // Still locked after all of them.
      #expect(try await browser.get("/runs").body.contains("name=\"token\""))

      // Logout cannot be forced from another site either: the session stays unlocked.
      let unlocked = try await unlock(browser, run: f.paperRun)
      let forcedOut = try await browser.post(
        "/logout", [("csrf", csrf)], headers: ["Origin": "http://evil.example"], json: false)
      #expect(forcedOut.status == .forbidden)
      let stale = try await browser.post("/logout", [("csrf", csrf)], json: false)
      #expect(stale.status == .forbidden, "the pre-login CSRF token died with its session")
      #expect(try await browser.get("/runs").body.contains("controls unlocked"))
      #expect(
        try await browser.post("/logout", [("csrf", unlocked)], json: false).status == .seeOther)
    }
  }

  @Test func aSameOriginPostFromARealBrowserPasses() async throws {
    let f = try LedgerFixture()
    // The Host header a browser at http://127.0.0.1:port sends, with its Origin.
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      let csrf = try await unlock(browser, run: f.paperRun)
      let stop = try await browser.post(
        "/runs/\(f.paperRun)/commands", [("csrf", csrf), ("kind", "pause")],
        headers: ["Origin": client.origin, "Sec-Fetch-Site": "same-origin"])
      #expect(stop.status == .accepted)
      #expect(try f.commands().map(\.kind) == ["pause"])
    }
  }

  // MARK: - Sessions

  @Test func aSessionIDPlantedBeforeLoginIsWorthNothingAfterIt() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      // The attacker visits, keeps the id and its CSRF token, and plants the cookie in the
      // victim's browser.
      let attacker = Browser(client)
      let (planted, attackerCSRF) = try await visit(attacker, "/runs/\(f.paperRun)")
      let victim = Browser(client)
      victim.cookie = planted
      let page = try await victim.get("/runs/\(f.paperRun)")
      let csrf = try #require(Browser.csrf(page.body))
      let login = try await victim.post(
        "/login", [("csrf", csrf), ("next", "/runs"), ("token", Self.token)], json: false)
      #expect(login.status == .seeOther)
      let fresh = try #require(victim.cookie)
      #expect(fresh != planted, "login issues a new session id")
      // The planted id is locked out: no command, no unlocked page.
      let stop = try await attacker.post(
        "/runs/\(f.paperRun)/commands", [("csrf", attackerCSRF), ("kind", "emergency_stop")])
      #expect(stop.status == .forbidden)
      attacker.cookie = planted
      let seen = try await attacker.get("/runs/\(f.paperRun)")
      #expect(!seen.body.contains("Emergency stop") && seen.body.contains("name=\"token\""))
      #expect(try f.commands().isEmpty)
    }
  }

  @Test func anUnknownCookieValueStartsANewSessionInsteadOfAdoptingIt() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      let chosen = "wick_session=" + String(repeating: "a", count: 64)
      browser.cookie = chosen
      _ = try await browser.get("/runs")
      #expect(browser.cookie != chosen)
      #expect(browser.cookie?.count == chosen.count, "a 64-hex-digit id of the server's making")
    }
  }

  @Test func aCookieStolenBeforeLogoutIsRefusedAfterIt() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let victim = Browser(client)
      let csrf = try await unlock(victim, run: f.paperRun)
      let stolen = try #require(victim.cookie)
      let logout = try await victim.post("/logout", [("csrf", csrf)], json: false)
      #expect(logout.status == .seeOther)
      let expiry = try #require(victim.lastSetCookie)
      #expect(expiry.contains("Max-Age=0"), "the browser forgets the cookie: \(expiry)")
      // The thief replays cookie and CSRF token: both died with the session.
      let thief = Browser(client)
      thief.cookie = stolen
      let stop = try await thief.post(
        "/runs/\(f.paperRun)/commands", [("csrf", csrf), ("kind", "emergency_stop")])
      #expect(stop.status == .forbidden)
      thief.cookie = stolen
      let again = try await thief.post(
        "/logout", [("csrf", csrf)], json: false)
      #expect(again.status == .forbidden)
      thief.cookie = stolen
      let page = try await thief.get("/runs/\(f.paperRun)")
      #expect(!page.body.contains("Emergency stop") && !page.body.contains("controls unlocked"))
      #expect(try f.commands().isEmpty)
    }
  }

  // MARK: - Paths

  @Test func traversalInEveryRouteFindsNothing() async throws {
    let f = try LedgerFixture()
    let hostile = [
      "../../../../etc/passwd", "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
      "%2e%2e%2f%2e%2e%2fPackage.swift", "....//....//etc/passwd", "%2e%2e", "..", ".%00",
      "1%2F..%2F..%2Fetc%2Fpasswd", "1;cat%20/etc/passwd", "-1", "99999999999999999999999",
      "0x10", "%252e%252e%252f", "..\\..\\Package.swift",
    ]
    let routes = [
      "/runs/X", "/runs/X/events", "/runs/X/report", "/sweeps/X", "/assets/X", "/X",
      "/assets/../X", "/runs/1/X", "/metrics/X",
    ]
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      for route in routes {
        for h in hostile {
          let path = route.replacingOccurrences(of: "X", with: h)
          let page = try await browser.get(path)
          #expect(page.status == .notFound || page.status == .badRequest, "\(path): \(page.status)")
          #expect(!page.body.contains("root:x:0:0") && !page.body.contains("swift-tools-version"))
        }
        let post = try await browser.post(
          route.replacingOccurrences(of: "X", with: "../../etc/passwd") + "/commands",
          [("kind", "pause")])
        #expect(post.status == .notFound || post.status == .forbidden, "POST \(route)")
      }
      // Events resume from a cursor: a path there is no cursor, so it starts from the present.
      let events = try await browser.get("/runs/\(f.paperRun)/events?after=../../etc/passwd")
      #expect(events.status == .ok && !events.body.contains("root:x:0:0"))
      #expect(try f.commands().isEmpty)
    }
  }

  // MARK: - Oversized and slow requests

  @Test func anOversizedFormIsRefusedWithoutBeingRead() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      let csrf = try await unlock(browser, run: f.paperRun)
      let huge = String(repeating: "A", count: 200 * 1024)
      for path in ["/login", "/logout", "/runs/\(f.paperRun)/commands"] {
        let r = try await browser.post(
          path, [("csrf", csrf), ("kind", "set_param"), ("name", "period"), ("value", huge)])
        #expect(r.status == .payloadTooLarge, "\(path): \(r.status)")
      }
      #expect(try f.commands().isEmpty)
      #expect(try await browser.get("/runs").body.contains("controls unlocked"))
    }
  }

  // The raw sockets block, so they run on a thread of their own (`RawHTTP.offPool`): on the
  // two-thread cooperative pool they would starve the server's own handlers.

  @Test func oversizedHeadersAreRefusedAndTheServerKeepsServing() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let port = client.port
      let (big, many, ok) = try await RawHTTP.offPool {
        let huge = String(repeating: "x", count: 200 * 1024)
        let big = try RawHTTP.exchange(
          port: port, "GET /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: \(huge)\r\n\r\n",
          readFor: 5)
        let headers = (0..<2000).map { "X-H\($0): v\r\n" }.joined()
        let many = try RawHTTP.exchange(
          port: port, "GET /runs HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)\r\n", readFor: 5)
        let ok = try RawHTTP.exchange(
          port: port, "GET /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
          readFor: 10)
        return (big, many, ok)
      }
      // The parser stops at its limit: an error status or a closed connection, never a page.
      for reply in [big, many] {
        #expect(!reply.contains("<h1>Runs</h1>"))
        #expect(reply.isEmpty || reply.hasPrefix("HTTP/1.1 4"), "\(reply.prefix(80))")
      }
      #expect(ok.hasPrefix("HTTP/1.1 200") && ok.contains("<h1>Runs</h1>"), "\(ok.prefix(80))")
    }
  }

  @Test func aClientThatStopsSendingIsDisconnected() async throws {
    let f = try LedgerFixture()
    var s = settings()
    s.idleTimeout = .milliseconds(600)
    try await dashboard(f, s).onLoopback { client in
      let port = client.port
      let (head, headSeconds, body, idle) = try await RawHTTP.offPool {
        // Half a request head (slowloris), then silence.
        let head = try RawHTTP.Connection(port: port)
        try head.send("GET /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: ")
        let t0 = Date()
        let headReply = head.readUntilClosed(timeout: 10)
        let headSeconds = Date().timeIntervalSince(t0)
        // A whole head promising a body that never comes.
        let body = try RawHTTP.Connection(port: port)
        try body.send(
          "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\ncsrf="
        )
        // An idle keep-alive connection after its answer.
        let idle = try RawHTTP.Connection(port: port)
        try idle.send("GET /runs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        return (
          headReply, headSeconds, body.readUntilClosed(timeout: 10),
          idle.readUntilClosed(timeout: 10)
        )
      }
      #expect(head != nil, "a half-sent head is cut off")
      #expect(headSeconds < 8)
      #expect(body != nil, "a body that never comes is cut off")
      let answered = try #require(idle, "an idle keep-alive connection is closed")
      #expect(answered.hasPrefix("HTTP/1.1 200"))
    }
  }

  @Test func aFormDrippedAByteAtATimeIsCutOffAtTheBodyTimeout() async throws {
    let f = try LedgerFixture()
    var s = settings()
    s.idleTimeout = .seconds(2)
    s.bodyTimeout = .milliseconds(800)
    try await dashboard(f, s).onLoopback { client in
      let port = client.port
      let (reply, seconds) = try await RawHTTP.offPool {
        let c = try RawHTTP.Connection(port: port)
        try c.send(
          "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n"
        )
        let t0 = Date()
        // One byte every 0.3 s: never idle for the idle timeout, never done.
        var answer = ""
        for _ in 0..<20 {
          try c.send("a")
          answer += c.read(for: 0.3)
          if !answer.isEmpty { break }
        }
        return (answer, Date().timeIntervalSince(t0))
      }
      #expect(reply.hasPrefix("HTTP/1.1 408"), "\(reply.prefix(120))")
      #expect(seconds < 4)
    }
  }

  @Test func theIdleTimeoutLeavesALiveStreamAlone() async throws {
    let f = try LedgerFixture()
    var s = settings(token: nil)
    s.idleTimeout = .milliseconds(300)
    s.streamLifetime = .milliseconds(1500)
    let run = f.paperRun
    try await dashboard(f, s).onLoopback { client in
      let port = client.port
      let (text, seconds) = try await RawHTTP.offPool {
        let c = try RawHTTP.Connection(port: port)
        try c.send(
          "GET /runs/\(run)/events?after=0-0-0-0-0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        let t0 = Date()
        let text = c.readUntilClosed(timeout: 10)
        return (text, Date().timeIntervalSince(t0))
      }
      #expect(try #require(text).contains("event: state"))
      // Open for the stream's lifetime, not cut at the idle timeout.
      #expect(seconds > 1.2)
    }
  }

  // MARK: - HTML injection

  static let payload = #""><script>alert(1)</script><img src=x onerror=alert(2)>"#

  /// A field an attacker controls (a strategy's own text, or a form's), where it is planted and
  /// the pages that show it. `plant` returns the saved backtest it made, if any.
  struct Field: Sendable, CustomTestStringConvertible {
    var name: String
    var pages: [String]
    var plant: @Sendable (LedgerFixture) throws -> Int64?
    var testDescription: String { name }
  }

  /// `s` as a JSON string literal's contents.
  static func json(_ s: String) -> String { s.replacingOccurrences(of: "\"", with: "\\\"") }

  static let fields: [Field] = [
    Field(name: "strategy name", pages: ["/runs", "/runs/RUN"]) { f in
      try f.execute("UPDATE runs SET strategy = ? WHERE id = ?", [payload, f.paperRun])
      return nil
    },
    Field(name: "symbol", pages: ["/runs", "/runs/RUN"]) { f in
      try f.execute("UPDATE runs SET symbols = ? WHERE id = ?", [payload, f.paperRun])
      return nil
    },
    Field(name: "params (name and value)", pages: ["/runs/RUN"]) { f in
      let p = json(payload)
      try f.execute(
        "UPDATE runs SET params_json = ? WHERE id = ?", [#"{"\#(p)":"\#(p)"}"#, f.paperRun])
      return nil
    },
    Field(name: "signal tag (script text in a decision)", pages: ["/runs/RUN", "EVENTS"]) { f in
      try f.execute(
        "INSERT INTO decisions (run_id, seq, candle_time, kind, symbol, detail_json) VALUES (?, 9, ?, 'intent', ?, ?)",
        [f.paperRun, f.now, payload, #"{"side":"long","tag":"\#(json(payload))"}"#])
      return nil
    },
    Field(name: "refusal detail", pages: ["/runs/RUN", "EVENTS"]) { f in
      try f.execute(
        "INSERT INTO decisions (run_id, seq, candle_time, kind, symbol, detail_json) VALUES (?, 9, ?, 'refusal', 'BTCUSDT', ?)",
        [f.paperRun, f.now, #"{"code":"x","detail":"\#(json(payload))"}"#])
      return nil
    },
    Field(name: "incident text", pages: ["/runs/RUN", "EVENTS"]) { f in
      try f.execute(
        "INSERT INTO incidents (run_id, time, kind, account, detail) VALUES (?, ?, ?, ?, ?)",
        [f.paperRun, f.now, payload, payload, payload])
      return nil
    },
    Field(name: "governor event text", pages: ["/runs/RUN", "EVENTS"]) { f in
      try f.execute(
        "INSERT INTO governor_events (run_id, time, kind, account, detail) VALUES (?, ?, ?, ?, ?)",
        [f.paperRun, f.now, payload, payload, payload])
      return nil
    },
    Field(name: "account name", pages: ["/runs/RUN"]) { f in
      try f.execute("UPDATE accounts SET name = ? WHERE run_id = ?", [payload, f.paperRun])
      return nil
    },
    Field(name: "halt reason (the script's error)", pages: ["/runs/RUN"]) { f in
      try f.execute(
        "UPDATE runs SET status = 'halted', state_json = ? WHERE id = ?",
        [#"{"strategy_error":"\#(json(payload))"}"#, f.paperRun])
      return nil
    },
    Field(name: "script path", pages: ["/runs/RUN"]) { f in
      try f.execute("UPDATE runs SET script_path = ? WHERE id = ?", [payload, f.paperRun])
      return nil
    },
    Field(name: "command outcome", pages: ["/runs/RUN"]) { f in
      try f.execute(
        "INSERT INTO run_commands (run_id, kind, payload_json, source, created_at, status, outcome) VALUES (?, 'stop', '{}', ?, ?, 'done', ?)",
        [f.paperRun, payload, f.now, payload])
      return nil
    },
    Field(name: "sweep strategy and params", pages: ["/sweeps", "/sweeps/SWEEP"]) { f in
      let p = json(payload)
      try f.execute(
        "UPDATE sweeps SET strategy = ?, symbol = ? WHERE id = ?", [payload, payload, f.sweep])
      try f.execute(
        "UPDATE sweep_results SET params_json = ? WHERE sweep_id = ?",
        [#"{"\#(p)":"\#(p)"}"#, f.sweep])
      return nil
    },
    Field(name: "saved backtest report", pages: ["/runs", "/runs/REPORT/report"]) { f in
      let ledger = try Ledger(store: try CandleStore(path: f.path))
      let result = BacktestResult(
        strategy: payload, params: [(payload, .string(payload))], symbols: ["BTCUSDT"],
        timeframe: .oneMinute, candles: 2, firstTime: 1_700_000_000_000,
        lastTime: 1_700_000_060_000, initialEquity: 100, finalEquity: 100, trades: [],
        equity: [EquityPoint(time: 1_700_000_000_000, equity: 100)],
        dailyEquity: [EquityPoint(time: 1_700_000_000_000, equity: 100)], maxDrawdown: 0,
        exposure: 0)
      let id = try ledger.saveBacktest(
        result, metricsJSON: ResultJSON.metrics(Metrics.compute(result)),
        paramsJSON: ResultJSON.params(result.params), accounts: [])
      return id
    },
  ]

  @Test(arguments: fields)
  func attackerTextIsEscapedEverywhereItShows(_ field: Field) async throws {
    let f = try LedgerFixture()
    let report = try field.plant(f)
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      for page in field.pages {
        let path =
          page == "EVENTS"
          ? "/runs/\(f.paperRun)/events?after=0-0-0-0-0"
          : page.replacingOccurrences(of: "RUN", with: "\(f.paperRun)")
            .replacingOccurrences(of: "SWEEP", with: "\(f.sweep)")
            .replacingOccurrences(of: "REPORT", with: "\(report ?? 0)")
        let r = try await browser.get(path)
        #expect(r.status == .ok, "\(field.name) on \(path)")
        // The text is on the page, as text.
        #expect(r.body.contains("&lt;script&gt;alert(1)"), "\(field.name) shown on \(path)")
        for raw in ["<script>alert", "<img src=x", "onerror=alert(2)>"] {
          #expect(!r.body.contains(raw), "\(field.name): \(raw) raw on \(path)")
        }
      }
    }
  }

  @Test func formInputEchoedInRepliesIsEscaped() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      let csrf = try await unlock(browser, run: f.paperRun)
      var replies: [Browser.Page] = []
      for form in [
        [("csrf", csrf), ("kind", Self.payload)],
        [("csrf", csrf), ("kind", "set_param"), ("name", Self.payload), ("value", "1")],
        [("csrf", csrf), ("kind", "set_param"), ("name", "period"), ("value", Self.payload)],
      ] {
        replies.append(try await browser.post("/runs/\(f.paperRun)/commands", form, json: false))
      }
      // A rejected value is recorded and listed with the run's commands.
      replies.append(try await browser.get("/runs/\(f.paperRun)"))
      // `next` goes back into the page (login form and Back link).
      replies.append(
        try await browser.post(
          "/login", [("csrf", "bad"), ("next", "/runs" + Self.payload)], json: false))
      for r in replies {
        for raw in ["<script>alert", "<img src=x", "onerror=alert(2)>"] {
          #expect(!r.body.contains(raw), "\(raw) raw in \(r.status): \(r.body.prefix(300))")
        }
      }
      #expect(try f.commands().allSatisfy { $0.status == "rejected" })
    }
  }

  // MARK: - The token

  @Test func theTokenAppearsInNoPageHeaderOrLogLine() async throws {
    let f = try LedgerFixture()
    let lines = LogCapture()
    var logger = Logger(label: "wick.serve") { _ in LogCapture.Handler(capture: lines) }
    logger.logLevel = .trace
    // The server `wick serve` runs, logging everything it would, over a socket.
    try await dashboard(f).onLoopback(logger: logger) { client in
      let browser = Browser(client)
      var seen: [Browser.Page] = []
      let (_, csrf) = try await visit(browser, "/runs/\(f.paperRun)")
      // A wrong token first (the reply must not echo what was typed), then the right one.
      seen.append(
        try await browser.post(
          "/login", [("csrf", csrf), ("next", "/runs"), ("token", Self.token + "x")], json: false))
      let unlocked = try await unlock(browser, run: f.paperRun)
      for path in [
        "/runs", "/runs/\(f.paperRun)", "/runs/\(f.backtestRun)/report", "/sweeps",
        "/sweeps/\(f.sweep)", "/metrics", "/runs/\(f.paperRun)/events?after=0-0-0-0-0",
        "/assets/dashboard.js", "/nowhere",
      ] {
        seen.append(try await browser.get(path))
      }
      seen.append(
        try await browser.post(
          "/runs/\(f.paperRun)/commands", [("csrf", unlocked), ("kind", "pause")]))
      seen.append(try await browser.post("/logout", [("csrf", unlocked)], json: false))
      for page in seen {
        #expect(!page.body.contains(Self.token), "token in a \(page.status) body")
        #expect(
          !page.headers.contains { $0.value.contains(Self.token) }, "token in a header")
      }
    }
    #expect(!lines.all.isEmpty, "the server logged at trace level")
    #expect(!lines.all.contains { $0.contains(Self.token) }, "token in a log line")
    #expect(try f.commands().map(\.kind) == ["pause"])
  }
}

/// Log lines a Logger writes, kept for inspection.
final class LogCapture: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  func append(_ s: String) { lock.withLock { lines.append(s) } }
  var all: [String] { lock.withLock { lines } }

  struct Handler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
      get { metadata[key] }
      set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
      capture.append("\(event.level) \(event.message) \(event.metadata ?? [:]) \(metadata)")
    }
  }
}

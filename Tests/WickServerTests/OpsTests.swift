import Foundation
import NIOHTTP1
import Testing
import WickCore
import WickData

@testable import WickServer

/// Running unattended: /metrics parsed by the official Prometheus client, HTTPS with a
/// self-signed certificate, login throttling, and today's PnL of a run with only an open position.
@Suite(.serialized) struct OpsTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  func dashboard(_ f: LedgerFixture, _ settings: DashboardSettings) -> Dashboard {
    Dashboard(store: f.store, settings: settings)
  }

  /// Runs `command` and returns (status, stdout, stderr).
  static func run(_ command: [String], stdin: String = "") throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = command
    let (input, output, error) = (Pipe(), Pipe(), Pipe())
    p.standardInput = input
    p.standardOutput = output
    p.standardError = error
    try p.run()
    input.fileHandleForWriting.write(Data(stdin.utf8))
    try input.fileHandleForWriting.close()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = error.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (
      p.terminationStatus, String(decoding: out, as: UTF8.self),
      String(decoding: err, as: UTF8.self)
    )
  }

  /// The venv with `prometheus_client` (Tests/Prometheus/venv.sh), or nil when it cannot be made.
  static let venv: String? = {
    guard let (status, out, err) = try? run([root.path + "/Tests/Prometheus/venv.sh"]), status == 0
    else { return nil }
    _ = err
    return out.trimmingCharacters(in: .whitespacesAndNewlines)
  }()

  @Test(
    .enabled(
      if: OpsTests.venv != nil,
      "skipped: the prometheus_client venv could not be made (Tests/Prometheus/venv.sh needs python3 -m venv and PyPI)"
    ))
  func metricsParseWithTheOfficialPrometheusClient() async throws {
    let f = try LedgerFixture()
    // A run whose strategy name needs escaping in a label, and request latencies as a runner
    // records them.
    try f.execute(
      #"INSERT INTO runs (kind, strategy, params_json, symbols, timeframe, initial_equity, created_at, status, last_time, heartbeat_at) VALUES ('live', 'we"ird\name', '{}', 'ETHUSDT', '1m', 500, 0, 'halted', 1700000000000, 1700000061000)"#
    )
    let ledger = try RunLedger(store: try CandleStore(path: f.path))
    let latency = RequestLatency()
    for s in [0.004, 0.02, 0.02, 0.3, 12] { latency.record(host: "api.bybit.com", seconds: s) }
    try ledger.addRequestLatency(latency.drain())
    latency.record(host: "api.bybit.com", seconds: 0.07)
    try ledger.addRequestLatency(latency.drain())

    let text = try await dashboard(f, DashboardSettings(token: "a-long-enough-token")).onLoopback {
      client in
      let r = try await client.execute(uri: "/metrics")
      #expect(r.status == .ok)
      #expect(r.headers.first(name: "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
      return r.text
    }
    let venv = try #require(Self.venv)
    let (status, out, err) = try Self.run(
      [venv + "/bin/python", Self.root.path + "/Tests/Prometheus/parse_metrics.py"], stdin: text)
    #expect(status == 0, "prometheus_client rejected the exposition: \(err)\n\(text)")
    let families = try #require(
      try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: [String: Any]])
    func samples(_ family: String) -> [(String, [String: String], Any?)] {
      ((families[family]?["samples"] as? [[Any]]) ?? []).map {
        ($0[0] as! String, $0[1] as! [String: String], $0[2] is NSNull ? nil : $0[2])
      }
    }
    let paper = String(f.paperRun)
    #expect(families["wick_run_equity"]?["type"] as? String == "gauge")
    let equity = samples("wick_run_equity")
    #expect(
      equity.contains {
        $0.1 == ["run": paper, "strategy": "ma_cross", "mode": "paper"] && $0.2 as? Double == 9964
      })
    #expect(equity.contains { $0.1["strategy"] == "we\"ird\\name" && $0.1["mode"] == "live" })
    // Backtests are not runs a server watches.
    #expect(!equity.contains { $0.1["run"] == String(f.backtestRun) })
    #expect(
      samples("wick_run_open_positions").contains { $0.1["run"] == paper && $0.2 as? Double == 1 })
    #expect(
      samples("wick_run_last_candle_timestamp_seconds").contains {
        $0.2 as? Double == 1_700_000_000
      })
    #expect(
      samples("wick_run_heartbeat_timestamp_seconds").contains {
        $0.1["run"] == paper && abs(($0.2 as? Double ?? 0) - Double(f.now) / 1000) < 1
      })
    // Counters: the client names the family without _total and its samples with it.
    #expect(families["wick_incidents"]?["type"] as? String == "counter")
    #expect(
      samples("wick_incidents").contains {
        $0.0 == "wick_incidents_total" && $0.1 == ["run": paper, "kind": "reconnect"]
          && $0.2 as? Double == 1
      })
    #expect(samples("wick_orders").contains { $0.1 == ["run": paper, "status": "filled"] })
    #expect(
      samples("wick_refusals").contains {
        $0.1 == ["run": paper, "code": "cooldown"] && $0.2 as? Double == 1
      })
    let h = samples("wick_exchange_request_duration_seconds")
    #expect(families["wick_exchange_request_duration_seconds"]?["type"] as? String == "histogram")
    func bucket(_ le: String) -> Double? {
      h.first { $0.0.hasSuffix("_bucket") && $0.1["le"] == le }?.2 as? Double
    }
    #expect(bucket("0.005") == 1 && bucket("0.025") == 3 && bucket("0.1") == 4)
    #expect(bucket("10.0") == 5 && bucket("+Inf") == 6)
    #expect(h.first { $0.0.hasSuffix("_count") }?.2 as? Double == 6)
    #expect(abs((h.first { $0.0.hasSuffix("_sum") }?.2 as? Double ?? 0) - 12.414) < 1e-9)
  }

  @Test func metricsCanBeTurnedOff() async throws {
    let f = try LedgerFixture()
    var settings = DashboardSettings(token: nil)
    settings.metrics = false
    try await dashboard(f, settings).onLoopback { client in
      let status = try await client.execute(uri: "/metrics").status
      #expect(status == .notFound)
    }
  }

  @Test func todaysPnlShowsTheEquityMoveOfAPaperRunWithNoClosedTrade() async throws {
    let f = try LedgerFixture()
    let now = f.now
    // A paper run started without a config: an open position, no trade closed today, equity
    // up 50 since yesterday's close. It used to show "—".
    try f.execute(
      "INSERT INTO runs (kind, strategy, params_json, symbols, timeframe, initial_equity, created_at, status) VALUES ('paper', 'flip', '{}', 'BTCUSDT', '1m', 10000, ?, 'running')",
      [now - 2 * 86_400_000])
    let run = try #require(try f.store.runs().map(\.id).max())
    try f.execute(
      "INSERT INTO equity_snapshots (run_id, account, time, equity) VALUES (?, NULL, ?, 10010), (?, NULL, ?, 10060)",
      [run, UTCTime.dayStart(now) - 60_000, run, now])
    let summary = try #require(try f.store.runs().first { $0.id == run })
    #expect(summary.todayPnl == 50)
    try await dashboard(f, DashboardSettings(token: nil)).onLoopback { client in
      let page = try await Browser(client).get("/runs")
      let row = try #require(
        page.body.components(separatedBy: "<tr>").first { $0.contains("/runs/\(run)\"") })
      #expect(row.contains("+50.00") && !row.contains("—"))
    }
    // A run that has not moved today still shows "—".
    try f.execute("DELETE FROM equity_snapshots WHERE run_id = ? AND time = ?", [run, now])
    #expect(try f.store.runs().first { $0.id == run }?.todayPnl == nil)
  }

  @Test func failedLoginsAreThrottledPerClient() async throws {
    let f = try LedgerFixture()
    var settings = DashboardSettings(token: ControlTests.token)
    settings.failedLoginDelay = .zero
    // Over a real socket, so the client's address is the peer's.
    try await dashboard(f, settings).onLoopback { client in
      let browser = Browser(client)
      let page = try await browser.get("/runs/\(f.paperRun)")
      let csrf = try #require(Browser.csrf(page.body))
      func login(_ token: String) async throws -> Browser.Page {
        try await browser.post(
          "/login", [("csrf", csrf), ("next", "/runs"), ("token", token)], json: false)
      }
      for _ in 0..<4 { #expect(try await login("guess").status == .unauthorized) }
      let fifth = try await login("guess")
      #expect(fifth.status == .tooManyRequests)
      #expect(fifth.headers.first(name: "Retry-After") == "2")
      // While it waits, not even the right token is looked at.
      let right = try await login(ControlTests.token)
      #expect(right.status == .tooManyRequests && right.body.contains("nothing was checked"))
      try await Task.sleep(for: .milliseconds(2_100))
      #expect(try await login(ControlTests.token).status == .seeOther)
    }
    // Per client: one address's failures leave another's alone; lockouts double; a success
    // forgets.
    let t = LoginThrottle()
    let start = Date()
    for _ in 0..<4 { #expect(await t.failed("10.0.0.1", now: start) == nil) }
    #expect(await t.failed("10.0.0.1", now: start) == 2)
    #expect(await t.wait("10.0.0.1", now: start) == 2)
    #expect(await t.wait("10.0.0.2", now: start) == nil)
    #expect(await t.failed("10.0.0.1", now: start.addingTimeInterval(3)) == 4)
    #expect(await t.failed("10.0.0.1", now: start.addingTimeInterval(8)) == 8)
    await t.succeeded("10.0.0.1")
    #expect(await t.wait("10.0.0.1", now: start.addingTimeInterval(9)) == nil)
  }

  @Test func httpsServesWithASelfSignedCertificateThatTheClientTrusts() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-tls-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let cert = dir.appendingPathComponent("cert.pem").path
    let key = dir.appendingPathComponent("key.pem").path
    let (status, _, err) = try Self.run([
      "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
      "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    ])
    #expect(status == 0, "openssl: \(err)")
    // Files that are not a certificate and key are clear errors.
    #expect(throws: WickError.self) { try DashboardTLS.configuration(certificate: key, key: key) }
    #expect(
      "\((try? DashboardTLS.configuration(certificate: dir.path + "/none.pem", key: key)) == nil)"
        == "true")
    // A key of another certificate is named by its flag and file before anything listens.
    let otherKey = dir.appendingPathComponent("other.key").path
    let (keyStatus, _, keyErr) = try Self.run([
      "openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out",
      otherKey,
    ])
    #expect(keyStatus == 0, "openssl: \(keyErr)")
    #expect {
      try DashboardTLS.configuration(certificate: cert, key: otherKey)
    } throws: { error in
      "\(error)".contains("--tls-key \(otherKey): this key does not belong to the certificate")
    }

    let f = try LedgerFixture()
    let tls = try DashboardTLS.configuration(certificate: cert, key: key)
    let dashboard = Dashboard(store: f.store, settings: DashboardSettings(token: nil))
    let (trusted, untrusted, plain, after) = try await dashboard.onLoopback(tls: tls) { client in
      let p = client.port
      // libcurl speaks TLS; our own client only plain HTTP.
      return try await RawHTTP.offPool {
        let good = try CurlHTTPClient(connectTimeout: 5, totalTimeout: 10)
        good.caFile = cert
        let trusted = try good.get("https://127.0.0.1:\(p)/metrics")
        let bad = try CurlHTTPClient(connectTimeout: 5, totalTimeout: 10)
        let untrusted = Result { try bad.get("https://127.0.0.1:\(p)/metrics") }
        let plain = Result { try bad.get("http://127.0.0.1:\(p)/metrics") }
        // The refused clients left the server serving.
        let after = try good.get("https://127.0.0.1:\(p)/metrics")
        return (trusted, untrusted, plain, after)
      }
    }
    #expect(trusted.status == 200)
    #expect(String(decoding: trusted.body, as: UTF8.self).contains("# TYPE wick_run_equity gauge"))
    // A client that does not trust the certificate refuses it; plain HTTP gets no page.
    #expect(throws: TransportError.self) { try untrusted.get() }
    #expect((try? plain.get())?.status != 200)
    #expect(after.status == 200)
  }
}

import Foundation
import Testing
import WickCore
import WickData
import WickRisk
import WickTesting

@testable import WickNotify

@Suite(.serialized) struct NotifyDeliveryTests {
  func incident(_ l: NotifyLedger, _ routes: NotificationRoutes, kind: String = "stop_not_placed")
    throws
  {
    let n = RunNotification(
      event: "incident", text: "run \(l.run) flip (paper) incident \(kind): no stop",
      fieldsJSON: "{\"kind\":\"\(kind)\",\"severity\":\"critical\"}")
    try l.ledger.enqueue(routes.entries(n, run: l.run))
  }

  @Test func theWebhookGetsEventRunTimeTextAndFieldsAndEachSinkOnlyItsEvents() async throws {
    let r = try Receiver()
    let l = try NotifyLedger()
    let s = try sinks(
      """
      [[notify.webhook]]
      url = "\(r.url)/only-incidents"
      events = ["incident"]
      [[notify.webhook]]
      url = "\(r.url)/all"
      """)
    let d = dispatcher(ledger: l.ledger, sinks: s, runs: [l.run])
    d.start()
    defer { d.stop(drain: 0) }
    try incident(l, d.routes)
    try l.ledger.enqueue(
      d.routes.entries(
        RunNotification(
          event: "fill", time: 1_765_000_000_123, text: "BTCUSDT long exit, PnL +12.5",
          fieldsJSON: "{\"leg\":\"exit\",\"pnl\":12.5}"), run: l.run))
    d.wake()
    #expect(await eventually { r.hits.count == 3 })
    try await Task.sleep(nanoseconds: 200_000_000)
    let hits = r.hits
    #expect(hits.count == 3)
    #expect(
      hits.filter { $0.request.path == "/only-incidents" }.map { $0.json?["event"] as? String } == [
        "incident"
      ])
    let fill = try #require(hits.first { $0.json?["event"] as? String == "fill" })
    #expect(fill.request.path == "/all")
    #expect(fill.request.headers["content-type"] == "application/json")
    let body = try #require(fill.json)
    #expect(body["run"] as? Int == Int(l.run))
    #expect(body["time"] as? String == "2025-12-06T05:46:40.123Z")
    #expect(body["text"] as? String == "BTCUSDT long exit, PnL +12.5")
    #expect(body["pnl"] as? Double == 12.5 && body["leg"] as? String == "exit")
    #expect(body["id"] as? Int != nil)
    let inc = try #require(
      hits.first { $0.request.path == "/all" && $0.json?["event"] as? String == "incident" }?.json)
    #expect(inc["kind"] as? String == "stop_not_placed" && inc["severity"] as? String == "critical")
    #expect(try l.ledger.outboxCounts() == ["delivered": 3])
  }

  @Test func telegramGetsItsAPIShapeAndA429IsRetriedAfterRetryAfter() async throws {
    let token = "123456:AAE-secret-token"
    let r = try Receiver { n, _ in
      n == 0
        ? Receiver.json(
          429,
          "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry after 1\",\"parameters\":{\"retry_after\":1}}"
        )
        : Receiver.json(200, "{\"ok\":true,\"result\":{\"message_id\":7}}")
    }
    let l = try NotifyLedger()
    let s = try sinks(
      "[notify.telegram]\nchat_id = -1001234\napi_url = \"\(r.url)\"\n",
      environment: ["WICK_TELEGRAM_TOKEN": token])
    let log = Lines()
    let d = dispatcher(ledger: l.ledger, sinks: s, runs: [l.run])
    d.log = log.append
    d.start()
    defer { d.stop(drain: 0) }
    try incident(l, d.routes)
    d.wake()
    #expect(await eventually { r.hits.count == 2 })
    try await Task.sleep(nanoseconds: 300_000_000)
    let hits = r.hits
    #expect(hits.count == 2)
    #expect(
      hits.allSatisfy {
        $0.request.method == "POST" && $0.request.path == "/bot\(token)/sendMessage"
      })
    let body = try #require(hits[0].json)
    #expect(body["chat_id"] as? String == "-1001234")
    #expect((body["text"] as? String)?.contains("stop_not_placed") == true)
    // retry_after = 1: the second attempt waited at least a second.
    #expect(hits[1].at.timeIntervalSince(hits[0].at) >= 0.95)
    #expect(try l.ledger.outboxCounts() == ["delivered": 1])
    let rows = try l.rows("SELECT attempts, last_error FROM notify_outbox")
    #expect(rows.first?["attempts"] == 2)
    // The token reaches neither the log nor the ledger.
    #expect(log.all.contains { $0.contains("429") })
    #expect(!log.all.contains { $0.contains(token) })
    for file in try FileManager.default.contentsOfDirectory(atPath: l.dir.path) {
      let data = try Data(contentsOf: l.dir.appendingPathComponent(file))
      #expect(data.range(of: Data(token.utf8)) == nil, "token found in \(file)")
    }
  }

  @Test func aTelegramRefusalIsFailedForGoodWithTheReasonAndNoToken() async throws {
    let token = "999:never-shown"
    let r = try Receiver { _, _ in
      Receiver.json(
        400, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat not found\"}")
    }
    let l = try NotifyLedger()
    let s = try sinks(
      "[notify.telegram]\nchat_id = 5\napi_url = \"\(r.url)\"\n",
      environment: ["WICK_TELEGRAM_TOKEN": token])
    let results = NotifyTest.run(s, transport: try CurlHTTPClient(), time: 0)
    #expect(results.count == 1 && !results[0].delivered)
    #expect(results[0].detail == "HTTP 400: Bad Request: chat not found")
    #expect(results[0].sink == "[notify.telegram]")
    let d = dispatcher(ledger: l.ledger, sinks: s, runs: [l.run])
    d.start()
    defer { d.stop(drain: 0) }
    try incident(l, d.routes)
    d.wake()
    #expect(await eventually { (try? l.ledger.outboxCounts()["failed"]) == 1 })
    let row = try #require(try l.rows("SELECT last_error FROM notify_outbox").first)
    #expect(row["last_error"] == "HTTP 400: Bad Request: chat not found")
    #expect(r.hits.count == 2)  // the test message and the one attempt
  }

  @Test func aReceiverThatIsDownIsRetriedWithBackoffWithoutBlockingTheWriter() async throws {
    let dead = try Receiver()
    let port = dead.server.port
    dead.server.stop()
    let l = try NotifyLedger()
    let s = try sinks("[notify.webhook]\nurl = \"http://127.0.0.1:\(port)/x\"\n")
    let d = dispatcher(ledger: l.ledger, sinks: s, runs: [l.run])
    d.backoff = 0.05
    d.start()
    defer { d.stop(drain: 0) }
    let started = Date()
    for _ in 0..<20 { try incident(l, d.routes) }
    d.wake()
    // Queuing is a ledger write, whatever the receiver does.
    #expect(Date().timeIntervalSince(started) < 2)
    #expect(
      await eventually {
        ((try? l.rows("SELECT MAX(attempts) AS a FROM notify_outbox").first?["a"]) as Int?) ?? 0
          >= 3
      })
    let rows = try l.rows("SELECT status, last_error, next_attempt_at FROM notify_outbox")
    #expect(rows.allSatisfy { ($0["status"] as String) == "pending" })
    #expect(rows.contains { ($0["last_error"] as String?)?.contains("could not connect") == true })
  }

  @Test func undeliveredNotificationsAreSentAfterARestartExactlyOnce() async throws {
    let r = try Receiver()
    r.down = true
    let l = try NotifyLedger()
    let s = try sinks(
      "[notify.webhook]\nurl = \"\(r.url)/w\"\n[notify.slack]\nurl = \"\(r.url)/s\"\n")
    // The first process: the receiver is down, the rows stay in the outbox.
    let first = dispatcher(ledger: l.ledger, sinks: s, runs: [l.run])
    first.backoff = 0.05
    first.start()
    for i in 0..<5 { try incident(l, first.routes, kind: "k\(i)") }
    first.wake()
    #expect(
      await eventually {
        ((try? l.rows("SELECT MIN(attempts) AS a FROM notify_outbox").first?["a"]) as Int?) ?? 0
          >= 1
      })
    first.stop(drain: 0)
    #expect(try l.ledger.outboxCounts()["pending"] == 10)
    #expect(r.hits.isEmpty)

    // The restarted process, on a fresh connection, sends each row once.
    r.down = false
    let second = dispatcher(ledger: try l.reopened(), sinks: s, runs: [l.run])
    second.start()
    #expect(await eventually { r.hits.count == 10 })
    second.stop(drain: 1)
    let third = dispatcher(ledger: try l.reopened(), sinks: s, runs: [l.run])
    third.start()
    try await Task.sleep(nanoseconds: 500_000_000)
    third.stop(drain: 0)
    let webhookIDs = r.hits.filter { $0.request.path == "/w" }.compactMap { $0.json?["id"] as? Int }
    #expect(webhookIDs.count == 5 && Set(webhookIDs).count == 5)
    let kinds = r.hits.filter { $0.request.path == "/s" }.compactMap { $0.json?["text"] as? String }
    #expect(kinds.count == 5 && Set(kinds).count == 5)
    #expect(try l.ledger.outboxCounts() == ["delivered": 10])
  }

  /// A sink removed from the config (or all of `[notify]`) leaves rows nothing would send: the
  /// restarted run fails them with the reason and says so, and sends the rest.
  @Test func rowsOfARemovedSinkAreDroppedWithTheReasonAtTheRestart() async throws {
    let r = try Receiver()
    r.down = true
    let l = try NotifyLedger()
    let both = try sinks(
      "[notify.webhook]\nurl = \"\(r.url)/w\"\n[notify.slack]\nurl = \"\(r.url)/s\"\n")
    try incident(l, dispatcher(ledger: l.ledger, sinks: both, runs: [l.run]).routes)
    #expect(try l.ledger.outboxCounts() == ["pending": 2])
    // The config now has the webhook only.
    r.down = false
    let webhookOnly = try sinks("[notify.webhook]\nurl = \"\(r.url)/w\"\n")
    let lines = LineCollector()
    let d = dispatcher(ledger: try l.reopened(), sinks: webhookOnly, runs: [])
    d.log = { lines.add($0) }
    d.serve(runs: [l.run])
    d.start()
    #expect(await eventually { r.hits.count == 1 })
    d.stop(drain: 1)
    #expect(r.hits.first?.request.path == "/w")
    #expect(try l.ledger.outboxCounts() == ["delivered": 1, "failed": 1])
    let failed = try l.rows("SELECT sink, last_error FROM notify_outbox WHERE status = 'failed'")
    #expect((failed.first?["sink"] as String?)?.hasPrefix("slack") == true)
    #expect((failed.first?["last_error"] as String?) == "sink no longer in [notify]")
    #expect(
      lines.all.contains("notify: 1 undelivered notification dropped (sink no longer in [notify])"))
    // Without any sink left, nothing is sent and the rest is dropped too.
    try incident(l, dispatcher(ledger: l.ledger, sinks: both, runs: [l.run]).routes)
    NotifyDispatcher.dropOrphans(ledger: l.ledger, runs: [l.run], sinks: [], log: { lines.add($0) })
    #expect(try l.ledger.outboxCounts() == ["delivered": 1, "failed": 3])
  }

  @Test func theDailySummaryIsQueuedOncePerRunAndDayAtTheChosenHour() async throws {
    let r = try Receiver()
    let l = try NotifyLedger()
    var c = RunLedger.Commit()
    c.equity = (UTCTime.parse("2026-12-06T23:00:00Z")!, 10_050)
    try l.ledger.commit(run: l.run, c)
    c.equity = (UTCTime.parse("2026-12-07T10:00:00Z")!, 10_120)
    try l.ledger.commit(run: l.run, c)
    let s = try sinks(
      "[notify]\ndaily_hour_utc = 20\n[notify.webhook]\nurl = \"\(r.url)/d\"\nevents = [\"daily\"]\n"
    )
    let d = NotifyDispatcher(ledger: l.ledger, sinks: s, runs: [l.run], dailyHourUTC: 20)
    d.now = { UTCTime.parse("2026-12-07T19:59:00Z")! }
    d.enqueueDaily()
    #expect(try l.ledger.outboxCounts().isEmpty)
    d.now = { UTCTime.parse("2026-12-07T20:01:00Z")! }
    d.enqueueDaily()
    d.enqueueDaily()
    // A restart within the hour queues nothing more.
    let again = NotifyDispatcher(
      ledger: try l.reopened(), sinks: s, runs: [l.run], dailyHourUTC: 20)
    again.now = { UTCTime.parse("2026-12-07T20:30:00Z")! }
    again.enqueueDaily()
    #expect(try l.ledger.outboxCounts() == ["pending": 1])
    d.start()
    defer { d.stop(drain: 0) }
    #expect(await eventually { r.hits.count == 1 })
    let body = try #require(r.hits.first?.json)
    #expect(body["event"] as? String == "daily" && body["day"] as? String == "2026-12-07")
    #expect(body["equity"] as? Double == 10_120 && body["day_pnl"] as? Double == 70)
    #expect((body["text"] as? String)?.contains("+70.00 today") == true)
  }
}

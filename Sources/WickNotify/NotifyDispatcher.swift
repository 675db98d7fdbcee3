import Foundation
import WickCore
import WickData

/// Delivers the outbox on its own thread, so a slow or dead receiver never touches the trading
/// loop: the runner only writes rows (with the commit they report) and calls `wake()`.
///
/// Each pass sends the due rows of this process's runs, oldest first, and marks each one
/// delivered, to retry (backoff doubling from `backoff` up to `maxBackoff`, or the service's own
/// `retry_after`) or failed for good (a 4xx other than 429). A sink that failed is not tried
/// again in the same pass. Rows left by an earlier process are sent by the next one, once: a
/// row is marked delivered right after the receiver's 2xx (a crash in between is the only way
/// a receiver sees a row twice; webhook bodies carry the row's `id` for that case).
///
///     let d = NotifyDispatcher(ledger: ledger, sinks: sinks, runs: [run], dailyHourUTC: 20)
///     d.start(); runner.onNotify = d.wake
public final class NotifyDispatcher: @unchecked Sendable {
  let ledger: RunLedger
  let sinks: [NotifySink]
  private let byKey: [String: NotifySink]
  /// The runs whose rows this process sends (nil: every run).
  private var runs: [Int64]?
  public var dailyHourUTC: Int
  public var backoff: Double = 2
  public var maxBackoff: Double = 300
  /// Wall clock in ms (tests move it).
  public var now: @Sendable () -> Int64 = { RunLedger.wallNow() }
  /// What happened, for the runner's output (never a secret: errors are redacted).
  public var log: @Sendable (String) -> Void = { _ in }
  let makeTransport: @Sendable () throws -> HTTPTransport

  private let condition = NSCondition()
  private var woken = false
  private var stopping = false
  private var running = false
  private var thread: Thread?
  private var pausedUntil: [String: Int64] = [:]

  public init(
    ledger: RunLedger, sinks: [NotifySink], runs: [Int64]?, dailyHourUTC: Int = 0,
    transport: (@Sendable () throws -> HTTPTransport)? = nil
  ) {
    self.ledger = ledger
    self.sinks = sinks
    byKey = Dictionary(sinks.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
    self.runs = runs
    self.dailyHourUTC = dailyHourUTC
    makeTransport =
      transport ?? {
        let c = try CurlHTTPClient(connectTimeout: 5, totalTimeout: 15)
        c.recordsLatency = false
        return c
      }
  }

  public var routes: NotificationRoutes { NotifySink.routes(sinks) }

  /// Adds runs whose rows this process sends (a group prepares its runs one by one).
  public func serve(runs more: [Int64]) {
    Self.dropOrphans(ledger: ledger, runs: more, sinks: sinks.map(\.key), log: log)
    condition.withLock { runs = (runs ?? []) + more }
    wake()
  }

  /// Fails the pending rows of `runs` meant for sinks that are no longer configured (none, when
  /// the config lost its `[notify]`), saying how many: nothing would ever send them.
  public static func dropOrphans(
    ledger: RunLedger, runs: [Int64], sinks: [String], log: (String) -> Void
  ) {
    let reason = "sink no longer in [notify]"
    guard let n = try? ledger.dropOrphanedOutbox(runs: runs, sinks: sinks, reason: reason), n > 0
    else { return }
    log("notify: \(n) undelivered notification\(n == 1 ? "" : "s") dropped (\(reason))")
  }

  public func start() {
    condition.withLock {
      guard !running, !sinks.isEmpty else { return }
      running = true
      let t = Thread { [self] in loop() }
      t.name = "wick.notify"
      thread = t
      t.start()
    }
  }

  /// New rows are in the outbox: send them now rather than at the next timed pass.
  public func wake() {
    condition.withLock {
      woken = true
      condition.signal()
    }
  }

  /// Stops the thread after at most `drain` seconds spent sending what is due (what is left
  /// stays in the outbox for the next start).
  public func stop(drain: TimeInterval = 2) {
    let deadline = Date().addingTimeInterval(drain)
    while Date() < deadline, (try? pending()) ?? 0 > 0 { Thread.sleep(forTimeInterval: 0.02) }
    condition.withLock {
      stopping = true
      condition.signal()
    }
    while condition.withLock({ running }) { Thread.sleep(forTimeInterval: 0.005) }
  }

  /// Rows of this process's sinks due now.
  func pending() throws -> Int {
    let runs = condition.withLock { self.runs }
    return try ledger.dueOutbox(sinks: sinks.map(\.key), runs: runs, now: now()).count
  }

  private func loop() {
    defer { condition.withLock { running = false } }
    var transport: HTTPTransport?
    while !condition.withLock({ stopping }) {
      do {
        if transport == nil { transport = try makeTransport() }
        enqueueDaily()
        try pass(transport!)
      } catch {
        log("notify: \(error)")
      }
      let wait = nextWait()
      condition.withLock {
        if !woken && !stopping { _ = condition.wait(until: Date().addingTimeInterval(wait)) }
        woken = false
      }
    }
  }

  /// Sends what is due; returns when nothing due is left (or every sink with rows failed).
  func pass(_ transport: HTTPTransport) throws {
    var failedThisPass: Set<String> = []
    while !condition.withLock({ stopping }) {
      let runs = condition.withLock { self.runs }
      let t = now()
      let keys = sinks.map(\.key).filter {
        !failedThisPass.contains($0) && (pausedUntil[$0] ?? 0) <= t
      }
      let due = try ledger.dueOutbox(sinks: keys, runs: runs, now: t, limit: 20)
      if due.isEmpty { return }
      for e in due where !failedThisPass.contains(e.sink) {
        guard let sink = byKey[e.sink] else { continue }
        switch sink.deliver(e, over: transport) {
        case .delivered:
          try ledger.markOutbox(e.id, delivered: true)
        case .retry(let reason, let after):
          let wait = after ?? min(maxBackoff, backoff * pow(2, Double(min(e.attempts, 16))))
          let at = now() + Int64(wait * 1000)
          if after != nil { pausedUntil[e.sink] = at }
          try ledger.markOutbox(e.id, delivered: false, retryAt: at, error: reason)
          failedThisPass.insert(e.sink)
          log(
            "notify: \(sink.label) \(e.event) not delivered (\(reason)); retrying in \(formatNumber(wait)) s"
          )
        case .failed(let reason):
          try ledger.markOutbox(e.id, delivered: false, retryAt: nil, error: reason)
          log("notify: \(sink.label) \(e.event) refused for good: \(reason)")
        }
      }
    }
  }

  /// Seconds until the next retry is due or the next daily check (at most 30 s).
  private func nextWait() -> TimeInterval {
    let t = now()
    var wait: TimeInterval = 30
    if let next = try? ledger.nextOutboxAttempt(sinks: sinks.map(\.key)) {
      wait = min(wait, max(0.01, Double(next - t) / 1000))
    }
    return wait
  }

  // MARK: Daily summary

  /// During the configured UTC hour, one summary per run and day (the dedupe key keeps a
  /// restart in that hour from sending another).
  func enqueueDaily() {
    let t = now()
    guard sinks.contains(where: { $0.events.contains("daily") }),
      (t / 3_600_000) % 24 == Int64(dailyHourUTC)
    else { return }
    let day = String(UTCTime.iso(t).prefix(10))
    for run in condition.withLock({ runs }) ?? [] {
      guard let r = try? ledger.run(run), let s = try? ledger.daySummary(run: run, day: day) else {
        continue
      }
      let n = Self.daily(run: r, day: day, summary: s, time: t)
      _ = try? ledger.enqueue(routes.entries(n, run: run))
    }
  }

  static func daily(
    run r: RunLedger.RunRow, day: String, summary s: RunLedger.DaySummary, time: Int64
  )
    -> RunNotification
  {
    let change = s.equity - s.dayStartEquity
    let text =
      "\(RunLedger.notifyLabel(run: r.id, strategy: r.strategy, mode: r.kind)) daily \(day): equity \(money(s.equity)) (\(signed(change)) today), realised \(signed(s.realized)) over \(s.trades) trade(s), \(s.openPositions) open position(s)"
    let fields =
      "{\"day\":\(JSONText.quoted(day)),\"equity\":\(number(s.equity)),\"day_pnl\":\(number(change)),"
      + "\"realized\":\(number(s.realized)),\"trades\":\(s.trades),\"open_positions\":\(s.openPositions),"
      + "\"strategy\":\(JSONText.quoted(r.strategy)),\"mode\":\(JSONText.quoted(r.kind))}"
    return RunNotification(
      event: "daily", time: time, text: text, fieldsJSON: fields,
      dedupeKey: "daily|\(r.id)|\(day)")
  }

  static func money(_ v: Double) -> String { String(format: "%.2f", v) }
  static func signed(_ v: Double) -> String { (v >= 0 ? "+" : "") + String(format: "%.2f", v) }
  static func number(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }
}

/// `wick notify test`: one message through every sink, synchronously, with what each answered.
public enum NotifyTest {
  public struct Result: Sendable {
    public var sink: String
    public var delivered: Bool
    public var detail: String
  }

  public static func run(_ sinks: [NotifySink], transport: HTTPTransport, time: Int64) -> [Result] {
    sinks.map { sink in
      var e = RunLedger.OutboxEntry(
        run: nil, sink: sink.key, event: "test", time: time,
        text: "Wick test message: \(sink.label) is set up.", fieldsJSON: "{}")
      e.id = 0
      switch sink.deliver(e, over: transport) {
      case .delivered: return Result(sink: sink.label, delivered: true, detail: "delivered")
      case .retry(let reason, _), .failed(let reason):
        return Result(sink: sink.label, delivered: false, detail: reason)
      }
    }
  }
}
